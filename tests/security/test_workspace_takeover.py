"""One workspace cannot take another over through the workspace group (admin) model."""

import uuid
from pathlib import Path

from fastapi import FastAPI

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.workspace_group_members.test_router import cli

URL = "/api/v2/workspace-group-members"
AS = "x-as-workspace"


def unique_owner() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example.com"


async def invitation(admin: Tenant, sub: Tenant) -> str:
    response = await admin.client.post(URL, json={"sub_workspace_id": str(sub.workspace_id)})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    return str(response.json()["id"])


async def linked(admin: Tenant, sub: Tenant) -> str:
    member_id = await invitation(admin, sub)
    response = await sub.client.post(f"{URL}/{member_id}/accept")
    assert response.status_code == 200, response.text
    return member_id


class TestConsent:
    async def test_same_owner_invitation_gives_no_access(self, make_tenant: MakeTenant) -> None:
        attacker, victim = await make_tenant(), await make_tenant()  # same owner (owner@example.com)
        await invitation(attacker, victim)
        as_victim = {AS: str(victim.workspace_id)}
        assert (await attacker.client.get("/api/v2/api-keys", headers=as_victim)).status_code == 403
        minted = await attacker.client.post(
            "/api/v2/api-keys", json={"name": "x", "scopes": ["all:all"]}, headers=as_victim
        )
        assert minted.status_code == 403
        removal = "/api/v2/workspaces/current/schedule-for-removal"
        assert (await attacker.client.post(removal, headers=as_victim)).status_code == 403
        assert (await victim.client.get("/api/v2/workspaces/current")).json()[
            "scheduled_for_removal_at"
        ] is None

    async def test_cli_workspaces_get_owners_of_their_own(
        self, app: FastAPI, make_key: MakeKey, database_url: str, tmp_path: Path
    ) -> None:
        owners = []
        for name in ("First", "Second"):
            code, out, err = await cli(database_url, tmp_path, "workspace", "create", "--name", name)
            assert code == 0, err
            async with client_for(app, await make_key(uuid.UUID(out), ["all:all"])) as client:
                owners.append((await client.get("/api/v2/workspaces/current")).json()["owner"])
        assert owners[0] != owners[1]

    async def test_only_the_sub_workspace_itself_can_accept(self, make_tenant: MakeTenant) -> None:
        admin, sub, linked_sub = await make_tenant(), await make_tenant(), await make_tenant()
        await linked(admin, linked_sub)
        member_id = await invitation(admin, sub)
        assert (await admin.client.post(f"{URL}/{member_id}/accept")).status_code == 404
        as_sub = {AS: str(sub.workspace_id)}
        assert (await admin.client.post(f"{URL}/{member_id}/accept", headers=as_sub)).status_code == 403
        reader = await make_tenant(scopes=["workspace_group_members:read"])
        assert (await reader.client.post(f"{URL}/{member_id}/accept")).status_code == 403
        accepted = await sub.client.post(f"{URL}/{member_id}/accept")
        assert accepted.status_code == 200
        assert accepted.json()["status"] == "accepted"
        assert (await sub.client.post(f"{URL}/{member_id}/accept")).status_code == 409
        assert (await admin.client.get("/api/v2/api-keys", headers=as_sub)).status_code == 200

    async def test_sub_workspace_rejects(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        member_id = await invitation(admin, sub)
        rejected = await sub.client.post(f"{URL}/{member_id}/reject")
        assert rejected.status_code == 200
        assert rejected.json()["status"] == "rejected"
        as_sub = {AS: str(sub.workspace_id)}
        assert (await admin.client.get("/api/v2/api-keys", headers=as_sub)).status_code == 403


class TestUnsolicitedInvitation:
    async def test_does_not_block_the_real_admin(self, make_tenant: MakeTenant) -> None:
        attacker, real_admin, victim = await make_tenant(), await make_tenant(), await make_tenant()
        unsolicited = await invitation(attacker, victim)
        await invitation(attacker, real_admin)  # nor the real admin's own group
        await linked(real_admin, victim)
        late = await victim.client.post(f"{URL}/{unsolicited}/accept")
        assert late.status_code == 409

    async def test_does_not_disclose_the_workspace_name(self, make_tenant: MakeTenant) -> None:
        attacker, victim = await make_tenant(), await make_tenant()
        created = await attacker.client.post(URL, json={"sub_workspace_id": str(victim.workspace_id)})
        assert created.json()["sub_workspace_name"] is None
        listed = (await attacker.client.get(URL)).json()["items"]
        assert [item["sub_workspace_name"] for item in listed] == [None]
        one = await attacker.client.get(f"{URL}/{created.json()['id']}")
        assert one.json()["sub_workspace_name"] is None
        victim_name = (await victim.client.get("/api/v2/workspaces/current")).json()["name"]
        assert victim_name not in (await attacker.client.get(URL)).text
        await victim.client.post(f"{URL}/{created.json()['id']}/accept")
        one = await attacker.client.get(f"{URL}/{created.json()['id']}")
        assert one.json()["sub_workspace_name"] == victim_name


class TestUnlinking:
    async def test_keys_the_admin_made_die_with_the_link(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        member_id = await linked(admin, sub)
        as_sub = {AS: str(sub.workspace_id)}
        made = await admin.client.post(
            "/api/v2/api-keys", json={"name": "agency", "scopes": ["all:all"]}, headers=as_sub
        )
        assert made.status_code == 200
        async with client_for(app, made.json()["key"]) as minted:
            child = await minted.post("/api/v2/api-keys", json={"name": "child", "scopes": ["leads:read"]})
            assert child.status_code == 200
            assert (await sub.client.delete(f"{URL}/{member_id}")).status_code == 200
            revoked = await minted.get("/api/v2/api-keys")
            assert revoked.status_code == 401
        async with client_for(app, child.json()["key"]) as grandchild:
            assert (await grandchild.get("/api/v2/leads/list")).status_code in (401, 405)
            assert (await grandchild.post("/api/v2/leads/list", json={})).status_code == 401
        remaining = {item["id"] for item in (await sub.client.get("/api/v2/api-keys")).json()["items"]}
        assert made.json()["id"] not in remaining
        assert child.json()["id"] not in remaining


class TestDestructiveThroughAsWorkspace:
    async def test_removal_and_owner_change_need_the_workspace_itself(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        await linked(admin, sub)
        as_sub = {AS: str(sub.workspace_id)}
        removal = "/api/v2/workspaces/current/schedule-for-removal"
        response = await admin.client.post(removal, headers=as_sub)
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"
        change = {"email": "owner@example.com", "sec": str(sub.workspace_id)}
        owner_change = "/api/v2/workspaces/current/change-owner"
        assert (await admin.client.post(owner_change, json=change, headers=as_sub)).status_code == 403
        assert (await sub.client.get("/api/v2/workspaces/current")).json()["scheduled_for_removal_at"] is None
        assert (await sub.client.post(removal)).status_code == 200
