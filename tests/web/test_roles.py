"""Roles and workspaces in the dashboard, as the API checks scopes and x-as-workspace (both backends)."""

import uuid

import pytest
from fastapi import FastAPI
from markupsafe import escape

from coldsend.models import MemberRole
from tests.conftest import MakeTenant
from tests.factories import create_campaign
from tests.web.members import add_member, csrf_of, new_email, signed_in

NEW_CAMPAIGN = {
    "name": "From the form",
    "steps-0-delay": "1",
    "steps-0-delay_unit": "days",
    "steps-0-variants-0-subject": "Hi",
    "steps-0-variants-0-body": "Hello",
    "timezone": "Etc/GMT+12",
    "from": "09:00",
    "to": "17:00",
    "days": "1",
}
GROUP = "/api/v2/workspace-group-members"


class TestRoles:
    @pytest.mark.parametrize(
        ("role", "campaign_status", "key_status"),
        [
            (MemberRole.VIEW, 403, 403),
            (MemberRole.EDITOR, 303, 403),
            (MemberRole.ADMIN, 303, 200),
        ],
    )
    async def test_what_each_role_may_change(
        self, app: FastAPI, make_tenant: MakeTenant, role: MemberRole, campaign_status: int, key_status: int
    ) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, role)
        async with signed_in(app, email) as client:
            token = await csrf_of(client)
            made = await client.post("/campaigns/new", data={**NEW_CAMPAIGN, "csrf_token": token})
            assert made.status_code == campaign_status, made.text[:300]
            key = await client.post(
                "/settings/api-keys", data={"name": "k", "scopes": "campaigns:read", "csrf_token": token}
            )
            assert key.status_code == key_status
            listing = await client.get("/campaigns")
            assert listing.status_code == 200
            assert ("New campaign" in listing.text) is (campaign_status == 303)
        names = [c["name"] for c in (await tenant.client.get("/api/v2/campaigns")).json()["items"]]
        assert names == (["From the form"] if campaign_status == 303 else [])

    async def test_a_form_refused_by_the_schema_says_what_the_api_says(
        self, app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        async with signed_in(app, email) as client:
            body = {**NEW_CAMPAIGN, "to": "25:00", "csrf_token": await csrf_of(client)}
            refused = await client.post("/campaigns/new", data=body)
        api = await tenant.client.post(
            "/api/v2/campaigns",
            json={
                "name": "x",
                "campaign_schedule": {
                    "schedules": [
                        {
                            "name": "Schedule",
                            "timing": {"from": "09:00", "to": "25:00"},
                            "days": {"1": True},
                            "timezone": "Etc/GMT+12",
                        }
                    ]
                },
            },
        )
        assert refused.status_code == 400
        assert api.status_code == 400
        assert str(escape(api.json()["message"])) in refused.text

    async def test_an_edit_refused_changes_nothing(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        campaign = await create_campaign(tenant, "Kept as it was")
        async with signed_in(app, email) as client:
            body = {**NEW_CAMPAIGN, "name": "Renamed", "email_list": "nobody@example.com"}
            refused = await client.post(
                f"/campaigns/{campaign['id']}", data={**body, "csrf_token": await csrf_of(client)}
            )
            assert refused.status_code == 400
            assert "not accounts of this workspace: nobody@example.com" in refused.text
            assert 'value="Renamed"' in refused.text  # the form comes back as it was typed
        kept = (await tenant.client.get(f"/api/v2/campaigns/{campaign['id']}")).json()
        assert kept["name"] == "Kept as it was"


class TestWorkspaces:
    async def test_another_workspaces_objects_are_404_pages(
        self, app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        mine, theirs, email = await make_tenant(), await make_tenant(), new_email()
        await add_member(app, mine.workspace_id, email, MemberRole.ADMIN)
        campaign = await create_campaign(theirs, "Not yours")
        async with signed_in(app, email) as client:
            token = await csrf_of(client)
            for path in (f"/campaigns/{campaign['id']}", f"/campaigns/{campaign['id']}/preview"):
                page = await client.get(path)
                assert page.status_code == 404
                assert "Not yours" not in page.text
            paused = await client.post(f"/campaigns/{campaign['id']}/pause", data={"csrf_token": token})
            assert paused.status_code == 404
            assert (await client.get(f"/leads/{uuid.uuid4()}")).status_code == 404
            assert (await client.get(f"/unibox/{uuid.uuid4()}")).status_code == 404
            switch = await client.post(
                "/workspace", data={"workspace_id": str(theirs.workspace_id), "csrf_token": token}
            )
            assert switch.status_code == 404

    async def test_admin_workspace_members_switch_into_their_groups_workspaces(
        self, app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        admin, sub, email = await make_tenant(), await make_tenant(), new_email()
        await add_member(app, admin.workspace_id, email, MemberRole.EDITOR)
        await create_campaign(sub, "The client's campaign")
        invited = await admin.client.post(GROUP, json={"sub_workspace_id": str(sub.workspace_id)})
        async with signed_in(app, email) as client:
            token = await csrf_of(client)
            target = {"workspace_id": str(sub.workspace_id), "csrf_token": token}
            assert (await client.post("/workspace", data=target)).status_code == 404  # pending: not yet
            accepted = await sub.client.post(f"{GROUP}/{invited.json()['id']}/accept")
            assert accepted.status_code == 200
            assert (await client.post("/workspace", data=target)).status_code == 303
            page = await client.get("/campaigns")
            assert "The client&#39;s campaign" in page.text
            made = await client.post("/campaigns/new", data={**NEW_CAMPAIGN, "csrf_token": token})
            assert made.status_code == 303  # the editor role holds there too
            assert (await sub.client.delete(f"{GROUP}/{invited.json()['id']}")).status_code == 200
            back = await client.get("/campaigns")  # the link is gone: back in the member's own workspace
            assert "The client&#39;s campaign" not in back.text
        names = {c["name"] for c in (await sub.client.get("/api/v2/campaigns")).json()["items"]}
        assert names == {"The client's campaign", "From the form"}
