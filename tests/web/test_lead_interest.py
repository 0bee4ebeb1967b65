"""A lead's interest status from the dashboard, in process (both backends): set, set again (unchanged), then
cleared with "not set" (null, as /leads/update-interest-status's null does); a viewer sees its name."""

from fastapi import FastAPI

from coldsend.models import MemberRole
from tests.conftest import MakeTenant
from tests.factories import add_list_leads, create_list
from tests.web.members import add_member, csrf_of, new_email, signed_in

NOT_SET = '<option value="" selected>not set</option>'


class TestInterest:
    async def test_set_then_cleared(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, editor, viewer = await make_tenant(), new_email(), new_email()
        await add_member(app, tenant.workspace_id, editor, MemberRole.EDITOR)
        await add_member(app, tenant.workspace_id, viewer, MemberRole.VIEW)
        listed = await create_list(tenant, name="People")
        lead_id = (await add_list_leads(tenant, str(listed["id"]), ["ada@example.org"]))["ada@example.org"]

        async def interest() -> object:
            return (await tenant.client.get(f"/api/v2/leads/{lead_id}")).json()["lt_interest_status"]

        async with signed_in(app, editor) as client:
            page = await client.get(f"/leads/{lead_id}")
            assert NOT_SET in page.text  # a lead without interest does not show the first status
            token = await csrf_of(client)
            for chosen, expected, notice in (
                ("1", 1, "Interest status changed"),
                ("1", 1, "Interest status unchanged"),
                ("", None, "Interest status changed"),
            ):
                posted = await client.post(
                    f"/leads/{lead_id}/interest", data={"interest": chosen, "csrf_token": token}
                )
                assert posted.status_code == 303
                assert await interest() == expected
                page = await client.get(f"/leads/{lead_id}")
                assert notice in page.text
            assert NOT_SET in page.text
            refused = await client.post(
                f"/leads/{lead_id}/interest", data={"interest": "seven", "csrf_token": token}
            )
            assert refused.status_code == 400
            assert await interest() is None

        patched = await tenant.client.patch(f"/api/v2/leads/{lead_id}", json={"lt_interest_status": 2})
        assert patched.status_code == 200
        async with signed_in(app, viewer) as client:
            page = await client.get(f"/leads/{lead_id}")
            assert "Interest status: meeting booked" in page.text
            assert 'name="interest"' not in page.text
