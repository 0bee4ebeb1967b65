"""The dashboard's Settings and Accounts actions, in process (both backends), each checked through the API:
an API key revoked stops working, a member's role changed and the member removed (their session ends),
the block list, custom tags and lead labels, and an account paused, marked fixed, its limit and gap set
and its warmup turned on."""

import re
from typing import Any

import httpx
from fastapi import FastAPI

from coldsend.models import MemberRole
from tests.conftest import MakeTenant, client_for
from tests.factories import add_leads, create_campaign, create_offline_account
from tests.web.members import add_member, csrf_of, new_email, signed_in

NEW_KEY = re.compile(r'id="new-api-key">([^<]+)<')


async def post(client: httpx.AsyncClient, path: str, **form: str) -> httpx.Response:
    response = await client.post(path, data={**form, "csrf_token": await csrf_of(client)})
    assert response.status_code in (200, 303), (path, response.status_code, response.text[:300])
    return response


class TestSettings:
    async def test_keys_members_block_list_tags_and_labels(
        self, app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        tenant, owner, editor = await make_tenant(), new_email("admin"), new_email()
        await add_member(app, tenant.workspace_id, owner, MemberRole.ADMIN)
        await add_member(app, tenant.workspace_id, editor, MemberRole.EDITOR)
        campaign = await create_campaign(tenant, "Labelled")
        lead_id = (await add_leads(tenant, campaign["id"], ["ada@example.org"]))["ada@example.org"]
        async with signed_in(app, owner) as client, signed_in(app, editor) as editing:
            made = await post(client, "/settings/api-keys", name="Zap", scopes="campaigns:read")
            found = NEW_KEY.search(made.text)
            assert found
            async with client_for(app, found.group(1)) as keyed:
                assert (await keyed.get("/api/v2/campaigns")).status_code == 200
                key_id = next(
                    k["id"]
                    for k in (await tenant.client.get("/api/v2/api-keys")).json()["items"]
                    if k["name"] == "Zap"
                )
                await post(client, f"/settings/api-keys/{key_id}/revoke")
                assert (await keyed.get("/api/v2/campaigns")).status_code == 401

            members = (await tenant.client.get("/api/v2/workspace-members")).json()["items"]
            member_id = next(m["id"] for m in members if m["email"] == editor)
            await post(client, f"/settings/members/{member_id}/role", role="view")
            fetched = await tenant.client.get(f"/api/v2/workspace-members/{member_id}")
            assert fetched.json()["role"] == "view"
            await post(client, f"/settings/members/{member_id}/remove")
            assert (await tenant.client.get(f"/api/v2/workspace-members/{member_id}")).status_code == 404
            assert (await editing.get("/campaigns")).status_code == 303  # signed out: to the sign-in form

            await post(client, "/settings/block-list", bl_value="spammy.example")
            entries = (await tenant.client.get("/api/v2/block-lists-entries")).json()["items"]
            assert [e["bl_value"] for e in entries] == ["spammy.example"]
            await post(client, f"/settings/block-list/{entries[0]['id']}/remove")
            assert (await tenant.client.get("/api/v2/block-lists-entries")).json()["items"] == []

            await post(client, "/settings/tags", label="Warm domains")
            tags = (await tenant.client.get("/api/v2/custom-tags")).json()["items"]
            assert [t["label"] for t in tags] == ["Warm domains"]
            await post(client, f"/settings/tags/{tags[0]['id']}/remove")
            assert (await tenant.client.get("/api/v2/custom-tags")).json()["items"] == []

            await post(client, "/settings/labels", label="Champion", interest_status_label="positive")
            labels = (await tenant.client.get("/api/v2/lead-labels")).json()["items"]
            assert [lab["label"] for lab in labels] == ["Champion"]
            lead_page = await client.get(f"/leads/{lead_id}")
            assert f'<option value="{labels[0]["interest_status"]}">Champion</option>' in lead_page.text
            await post(client, f"/settings/labels/{labels[0]['id']}/remove")
            assert (await tenant.client.get("/api/v2/lead-labels")).json()["items"] == []


class TestAccountActions:
    async def test_pause_fix_limits_and_warmup(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        account = "box@actions.test"
        await create_offline_account(tenant, account)  # saved in connection error

        async def status() -> dict[str, Any]:
            shown: dict[str, Any] = (await tenant.client.get(f"/api/v2/accounts/{account}")).json()
            return shown

        async with signed_in(app, email) as client:
            page = await client.get(f"/accounts/{account}")
            assert "connection error" in page.text  # the status in words, with the failed check's
            assert "unreachable" in page.text
            await post(client, f"/accounts/{account}/status", action="mark-fixed")
            assert (await status())["status"] == 1
            await post(client, f"/accounts/{account}/status", action="pause")
            assert (await status())["status"] == 2
            await post(client, f"/accounts/{account}/status", action="resume")
            assert (await status())["status"] == 1
            await post(client, f"/accounts/{account}/settings", daily_limit="35", sending_gap="7")
            shown = await status()
            assert (shown["daily_limit"], shown["sending_gap"]) == (35, 7)
            await post(client, f"/accounts/{account}/warmup", warmup="on")
            jobs = (await tenant.client.get("/api/v2/background-jobs")).json()["items"]
            assert [job["type"] for job in jobs] == ["update-warmup-accounts"]
