"""Campaign and lead pages in process (both backends): a variant previewed by the sender's renderer with a
real lead's variables; in the editor a variant disabled, a delay's unit, start and end dates, an account tag
and the options; a campaign deleted;
the leads table searched and paged."""

from typing import Any

from fastapi import FastAPI

from coldsend.models import MemberRole
from tests.conftest import MakeTenant
from tests.factories import add_leads, create_campaign, step
from tests.web.members import add_member, csrf_of, new_email, signed_in
from tests.web.test_roles import NEW_CAMPAIGN


class TestEditorAndPreview:
    async def test_preview_disable_and_delete(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        steps = [step("Hi {{firstName}} at {{companyName}}, {{Favourite}}.", "For {{firstName}}", "Other")]
        campaign = await create_campaign(tenant, "Previewed", sequences=[{"steps": steps}])
        lead: dict[str, Any] = {"email": "ada@example.org", "first_name": "Ada", "company_name": "Engines"}
        lead["custom_variables"] = {"Favourite": "tea"}
        lead_id = (await add_leads(tenant, campaign["id"], [lead]))["ada@example.org"]
        tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "Warm"})).json()
        async with signed_in(app, email) as client:
            page = await client.get(f"/campaigns/{campaign['id']}/preview?step=0&variant=0&lead={lead_id}")
            assert page.status_code == 200
            assert '<span id="preview-subject">For Ada</span>' in page.text
            assert "Hi Ada at Engines, tea." in page.text
            sample = await client.get(f"/campaigns/{campaign['id']}/preview?step=0&variant=1")
            assert "a sample lead" in sample.text

            edited = {
                **NEW_CAMPAIGN,
                "name": "Previewed",
                "steps-0-delay": "2",
                "steps-0-delay_unit": "hours",
                "steps-0-variants-1-subject": "Other",
                "steps-0-variants-1-body": "Hello",
                "steps-0-variants-1-v_disabled": "on",
                "start_date": "2027-01-04",
                "end_date": "2027-02-01",
                "email_tag_list": tag["id"],
                "text_only": "on",
                "csrf_token": await csrf_of(client),
            }
            saved = await client.post(f"/campaigns/{campaign['id']}", data=edited)
            assert saved.status_code == 303, saved.text[:300]
            stored = (await tenant.client.get(f"/api/v2/campaigns/{campaign['id']}")).json()
            first = stored["sequences"][0]["steps"][0]
            assert (first["delay"], first["delay_unit"]) == (2, "hours")
            assert [bool(v.get("v_disabled")) for v in first["variants"]] == [False, True]
            dates = (stored["campaign_schedule"]["start_date"], stored["campaign_schedule"]["end_date"])
            assert dates == ("2027-01-04", "2027-02-01")
            assert (stored["email_tag_list"], stored["text_only"], stored["stop_on_reply"]) == (
                [tag["id"]],
                True,
                False,
            )

            deleted = await client.post(
                f"/campaigns/{campaign['id']}/delete", data={"csrf_token": await csrf_of(client)}
            )
            assert deleted.status_code == 303
        assert (await tenant.client.get(f"/api/v2/campaigns/{campaign['id']}")).status_code == 404


class TestLeadsTable:
    async def test_search_and_paging(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        campaign = await create_campaign(tenant, "Many")
        await add_leads(tenant, campaign["id"], [f"person{n:02}@example.org" for n in range(55)])
        async with signed_in(app, email) as client:
            first = await client.get(f"/leads?campaign={campaign['id']}")
            assert first.text.count('href="/leads/') == 50
            assert "Next page" in first.text
            following = first.text.split('class="button secondary" href="')[-1].split('"')[0]
            second = await client.get(following.replace("&amp;", "&"))
            assert second.text.count('href="/leads/') == 5
            assert "Next page" not in second.text
            found = await client.get("/leads?search=person07")
            assert found.text.count('href="/leads/') == 1
            assert "person07@example.org" in found.text
