import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from coldsend.db.session import session_scope
from coldsend.models import Workspace
from tests.conftest import MakeTenant, Tenant
from tests.pages import collect_pages

URL = "/api/v2/workspace-group-members"
AS = "x-as-workspace"
FIELDS = {
    "id",
    "admin_workspace_id",
    "sub_workspace_id",
    "status",
    "timestamp_created",
    "timestamp_updated",
    "sub_workspace_name",
    "admin_workspace_name",
}
HIERARCHY_CONFLICT = "The requested workspace hierarchy conflicts with an active workspace group relationship"


def other_owner() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example.com"


async def invite(admin: Tenant, sub: Tenant, status: str) -> dict[str, Any]:
    """An invitation from `admin` to `sub`; for "accepted", accepted with the sub workspace's own key."""
    response = await admin.client.post(URL, json={"sub_workspace_id": str(sub.workspace_id)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "pending"
    if status == "accepted":
        response = await sub.client.post(f"{URL}/{body['id']}/accept")
        assert response.status_code == 200, response.text
        body = response.json()
    assert body["status"] == status
    return body


async def workspace_name(app: FastAPI, workspace_id: uuid.UUID) -> str:
    async with session_scope(app.state.sessionmaker) as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        return workspace.name


async def cli(database_url: str, data_dir: Path, *args: str) -> tuple[int, str, str]:
    """The real `coldsend` command line, against the test database."""
    env = {**os.environ, "COLDSEND_DATABASE_URL": database_url, "COLDSEND_DATA_DIR": str(data_dir)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "coldsend",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode().strip(), " ".join(err.decode().split())


async def key_ids(client: httpx.AsyncClient, **headers: str) -> set[str]:
    response = await client.get("/api/v2/api-keys", headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


class TestCreateWorkspaceGroupMember:
    async def test_same_owner_still_waits_for_the_sub(self, make_tenant: MakeTenant, app: FastAPI) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        response = await admin.client.post(URL, json={"sub_workspace_id": str(sub.workspace_id)})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == FIELDS
        assert uuid.UUID(body["id"]).version == 7
        assert body["admin_workspace_id"] == str(admin.workspace_id)
        assert body["sub_workspace_id"] == str(sub.workspace_id)
        assert body["status"] == "pending"
        assert body["admin_workspace_name"] == await workspace_name(app, admin.workspace_id)
        assert body["sub_workspace_name"] is None
        assert body["timestamp_created"].endswith("Z")
        assert len(body["timestamp_updated"]) == 24

    async def test_other_owner_stays_pending(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant(owner_email=other_owner())
        await invite(admin, sub, "pending")

    async def test_cannot_join_itself(self, tenant: Tenant) -> None:
        response = await tenant.client.post(URL, json={"sub_workspace_id": str(tenant.workspace_id)})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "A workspace cannot join its own workspace group",
        }

    async def test_unknown_sub_workspace_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.post(URL, json={"sub_workspace_id": str(uuid.uuid4())})
        assert response.status_code == 404
        assert response.json()["error"] == "Not Found"

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must have required property 'sub_workspace_id'"),
            ({"sub_workspace_id": "ws-1"}, 'body/sub_workspace_id must match format "uuid"'),
            ({"sub_workspace_id": str(uuid.uuid4()), "x": 1}, "body must NOT have additional properties"),
        ],
    )
    async def test_invalid_body_is_400(self, tenant: Tenant, body: dict[str, Any], message: str) -> None:
        response = await tenant.client.post(URL, json=body)
        assert response.status_code == 400
        assert response.json()["message"] == message

    async def test_sub_with_an_accepted_link_is_409(self, make_tenant: MakeTenant) -> None:
        first_admin, second_admin, sub = await make_tenant(), await make_tenant(), await make_tenant()
        await invite(first_admin, sub, "accepted")
        for admin in (second_admin, first_admin):
            response = await admin.client.post(URL, json={"sub_workspace_id": str(sub.workspace_id)})
            assert response.status_code == 409
            assert response.json() == {
                "statusCode": 409,
                "error": "Conflict",
                "message": "The sub workspace already has an active parent or invitation",
            }

    async def test_a_sub_workspace_cannot_become_an_admin(self, make_tenant: MakeTenant) -> None:
        admin, sub, third = await make_tenant(), await make_tenant(), await make_tenant()
        await invite(admin, sub, "accepted")
        response = await sub.client.post(URL, json={"sub_workspace_id": str(third.workspace_id)})
        assert response.status_code == 409
        assert response.json()["message"].startswith(HIERARCHY_CONFLICT)

    async def test_an_admin_workspace_cannot_become_a_sub(self, make_tenant: MakeTenant) -> None:
        admin, sub, third = (
            await make_tenant(),
            await make_tenant(owner_email=other_owner()),
            await make_tenant(),
        )
        await invite(admin, sub, "pending")
        response = await third.client.post(URL, json={"sub_workspace_id": str(admin.workspace_id)})
        assert response.status_code == 409
        assert response.json()["message"].startswith(HIERARCHY_CONFLICT)

    async def test_needs_create_scope(self, make_tenant: MakeTenant) -> None:
        reader, sub = await make_tenant(scopes=["workspace_group_members:read"]), await make_tenant()
        response = await reader.client.post(URL, json={"sub_workspace_id": str(sub.workspace_id)})
        assert response.status_code == 403
        assert (await reader.client.get(URL)).json() == {"items": []}

    async def test_anonymous_is_401(self, anonymous: httpx.AsyncClient) -> None:
        response = await anonymous.post(URL, json={"sub_workspace_id": str(uuid.uuid4())})
        assert response.status_code == 401


class TestListWorkspaceGroupMember:
    async def test_admin_sees_its_group_with_names(self, make_tenant: MakeTenant, app: FastAPI) -> None:
        admin, joined = await make_tenant(), await make_tenant()
        invited = await make_tenant(owner_email=other_owner())
        first = await invite(admin, joined, "accepted")
        second = await invite(admin, invited, "pending")
        response = await admin.client.get(URL)
        assert response.status_code == 200
        assert response.json() == {"items": [first, second]}
        assert first["sub_workspace_name"] == await workspace_name(app, joined.workspace_id)
        assert second["sub_workspace_name"] is None

    async def test_sub_sees_only_its_own_link(self, make_tenant: MakeTenant) -> None:
        admin, sub, sibling = await make_tenant(), await make_tenant(), await make_tenant()
        mine = await invite(admin, sub, "accepted")
        await invite(admin, sibling, "accepted")
        assert (await sub.client.get(URL)).json() == {"items": [mine]}

    async def test_outsider_sees_nothing(self, make_tenant: MakeTenant) -> None:
        admin, sub, outsider = await make_tenant(), await make_tenant(), await make_tenant()
        await invite(admin, sub, "accepted")
        assert (await outsider.client.get(URL)).json() == {"items": []}

    async def test_pages_return_each_row_once(self, make_tenant: MakeTenant) -> None:
        admin = await make_tenant()
        created = [(await invite(admin, await make_tenant(), "accepted"))["id"] for _ in range(5)]
        items, pages = await collect_pages(admin.client, URL, limit=2)
        seen = [item["id"] for item in items]
        assert pages == 3
        assert seen == created

    async def test_limit_above_100_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(URL, params={"limit": 101})
        assert response.status_code == 400
        assert response.json()["message"] == "querystring/limit must be <= 100"


class TestGetWorkspaceGroupMember:
    async def test_both_sides_can_read_it(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        created = await invite(admin, sub, "accepted")
        for side in (admin, sub):
            response = await side.client.get(f"{URL}/{created['id']}")
            assert response.status_code == 200
            assert response.json() == created

    async def test_outsider_gets_404(self, make_tenant: MakeTenant) -> None:
        admin, sub, outsider = await make_tenant(), await make_tenant(), await make_tenant()
        created = await invite(admin, sub, "accepted")
        response = await outsider.client.get(f"{URL}/{created['id']}")
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
        assert (await outsider.client.get(f"{URL}/{uuid.uuid4()}")).status_code == 404

    async def test_malformed_id_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(f"{URL}/not-a-uuid")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/id must match format "uuid"'


class TestDeleteWorkspaceGroupMember:
    async def test_admin_removes_a_sub_workspace(self, make_tenant: MakeTenant) -> None:
        admin, sub, next_admin = await make_tenant(), await make_tenant(), await make_tenant()
        created = await invite(admin, sub, "accepted")
        response = await admin.client.delete(f"{URL}/{created['id']}")
        assert response.status_code == 200
        assert response.json() == created
        assert (await admin.client.get(f"{URL}/{created['id']}")).status_code == 404
        refused = await admin.client.get("/api/v2/api-keys", headers={AS: str(sub.workspace_id)})
        assert refused.status_code == 403
        await invite(next_admin, sub, "accepted")

    async def test_sub_workspace_leaves(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        created = await invite(admin, sub, "accepted")
        response = await sub.client.delete(f"{URL}/{created['id']}")
        assert response.status_code == 200
        assert response.json()["id"] == created["id"]
        assert (await admin.client.get(URL)).json() == {"items": []}
        assert (await sub.client.get(f"{URL}/admin")).json()["has_admin_workspace"] is False

    async def test_outsider_gets_404_and_the_row_stays(self, make_tenant: MakeTenant) -> None:
        admin, sub, outsider = await make_tenant(), await make_tenant(), await make_tenant()
        created = await invite(admin, sub, "accepted")
        assert (await outsider.client.delete(f"{URL}/{created['id']}")).status_code == 404
        assert (await admin.client.get(f"{URL}/{created['id']}")).json() == created

    async def test_needs_delete_scope(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(scopes=["workspace_group_members:all"]), await make_tenant()
        created = await invite(admin, sub, "accepted")
        reader = await make_tenant(scopes=["all:read"])
        assert (await reader.client.delete(f"{URL}/{created['id']}")).status_code == 403


class TestGetAdminWorkspaceGroupMember:
    async def test_no_admin_workspace(self, tenant: Tenant) -> None:
        response = await tenant.client.get(f"{URL}/admin")
        assert response.status_code == 200
        assert response.json() == {"workspace_name": "Undefined", "has_admin_workspace": False}

    async def test_accepted_sub_sees_its_admin(self, make_tenant: MakeTenant, app: FastAPI) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        created = await invite(admin, sub, "accepted")
        expected = {
            "workspace_name": await workspace_name(app, admin.workspace_id),
            "has_admin_workspace": True,
            "workspace_group_member_id": created["id"],
        }
        assert (await sub.client.get(f"{URL}/admin")).json() == expected
        acting = await admin.client.get(f"{URL}/admin", headers={AS: str(sub.workspace_id)})
        assert acting.json() == expected
        own = await admin.client.get(f"{URL}/admin")
        assert own.json() == {"workspace_name": "Undefined", "has_admin_workspace": False}

    async def test_pending_invitation_is_not_an_admin_yet(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant(owner_email=other_owner())
        await invite(admin, sub, "pending")
        response = await sub.client.get(f"{URL}/admin")
        assert response.json() == {"workspace_name": "Undefined", "has_admin_workspace": False}


class TestAsWorkspace:
    async def test_admin_key_acts_on_an_accepted_sub(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        await invite(admin, sub, "accepted")
        as_sub = {AS: str(sub.workspace_id)}
        sub_keys = await key_ids(sub.client)
        assert await key_ids(admin.client, **as_sub) == sub_keys
        assert not sub_keys & await key_ids(admin.client)

        created = await admin.client.post(
            "/api/v2/api-keys", json={"name": "made by the agency", "scopes": ["leads:read"]}, headers=as_sub
        )
        assert created.status_code == 200
        assert created.json()["organization_id"] == str(sub.workspace_id)
        assert created.json()["id"] in await key_ids(sub.client)
        assert created.json()["id"] not in await key_ids(admin.client)

        logged = (await sub.client.get("/api/v2/audit-logs", params={"activity_type": 37})).json()["items"]
        assert [entry["audit_metadata"]["admin_workspace_id"] for entry in logged] == [
            str(admin.workspace_id)
        ]
        assert logged[0]["organization_id"] == str(sub.workspace_id)
        assert (await admin.client.get("/api/v2/audit-logs")).json() == {"items": []}

    async def test_scopes_still_apply(self, make_tenant: MakeTenant) -> None:
        admin, sub = (
            await make_tenant(scopes=["api_keys:read", "workspace_group_members:all"]),
            await make_tenant(),
        )
        await invite(admin, sub, "accepted")
        as_sub = {AS: str(sub.workspace_id)}
        assert (await admin.client.get("/api/v2/api-keys", headers=as_sub)).status_code == 200
        body = {"name": "x", "scopes": ["all:all"]}
        assert (await admin.client.post("/api/v2/api-keys", json=body, headers=as_sub)).status_code == 403

    async def test_sub_key_cannot_act_on_its_admin(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        await invite(admin, sub, "accepted")
        response = await sub.client.get("/api/v2/api-keys", headers={AS: str(admin.workspace_id)})
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"

    async def test_pending_invitation_is_refused(self, make_tenant: MakeTenant) -> None:
        admin, sub = await make_tenant(), await make_tenant(owner_email=other_owner())
        await invite(admin, sub, "pending")
        response = await admin.client.get("/api/v2/api-keys", headers={AS: str(sub.workspace_id)})
        assert response.status_code == 403

    async def test_workspace_outside_the_group_is_refused(self, make_tenant: MakeTenant) -> None:
        admin, sub, outsider = await make_tenant(), await make_tenant(), await make_tenant()
        await invite(admin, sub, "accepted")
        for client, target in ((admin.client, outsider), (outsider.client, sub)):
            response = await client.get("/api/v2/api-keys", headers={AS: str(target.workspace_id)})
            assert response.status_code == 403
        unknown = await admin.client.get("/api/v2/api-keys", headers={AS: str(uuid.uuid4())})
        assert unknown.status_code == 403

    async def test_own_workspace_id_is_allowed(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/api-keys", headers={AS: str(tenant.workspace_id)})
        assert response.status_code == 200

    async def test_malformed_header_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/api-keys", headers={AS: "my-sub-workspace"})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": 'headers/x-as-workspace must match format "uuid"',
        }


class TestAcceptInviteCommand:
    async def test_owner_accepts_and_the_admin_may_act(
        self, make_tenant: MakeTenant, database_url: str, tmp_path: Path
    ) -> None:
        admin, sub = await make_tenant(), await make_tenant(owner_email=other_owner())
        pending = await invite(admin, sub, "pending")
        code, out, err = await cli(database_url, tmp_path, "workspace", "accept-invite", pending["id"])
        assert (code, out) == (0, "accepted"), err
        response = await sub.client.get(f"{URL}/{pending['id']}")
        assert response.json()["status"] == "accepted"
        assert await key_ids(admin.client, **{AS: str(sub.workspace_id)}) == await key_ids(sub.client)

    async def test_only_a_pending_invitation(
        self, make_tenant: MakeTenant, database_url: str, tmp_path: Path
    ) -> None:
        admin, sub = await make_tenant(), await make_tenant()
        accepted = await invite(admin, sub, "accepted")
        code, out, err = await cli(database_url, tmp_path, "workspace", "accept-invite", accepted["id"])
        assert (code, out) == (2, "")
        assert "The invitation is accepted, not pending" in err
        code, _out, err = await cli(database_url, tmp_path, "workspace", "accept-invite", str(uuid.uuid4()))
        assert code == 2
        assert "No workspace group invitation with id" in err
        code, _out, err = await cli(database_url, tmp_path, "workspace", "accept-invite", "nope")
        assert code == 2
        assert "not a workspace group member id: nope" in err


class TestRejectInviteCommand:
    async def test_owner_rejects_and_a_new_invitation_may_follow(
        self, make_tenant: MakeTenant, database_url: str, tmp_path: Path
    ) -> None:
        admin, sub = await make_tenant(), await make_tenant(owner_email=other_owner())
        pending = await invite(admin, sub, "pending")
        code, out, err = await cli(database_url, tmp_path, "workspace", "reject-invite", pending["id"])
        assert (code, out) == (0, "rejected"), err
        assert (await admin.client.get(f"{URL}/{pending['id']}")).json()["status"] == "rejected"
        refused = await admin.client.get("/api/v2/api-keys", headers={AS: str(sub.workspace_id)})
        assert refused.status_code == 403
        code, _out, err = await cli(database_url, tmp_path, "workspace", "accept-invite", pending["id"])
        assert code == 2
        assert "The invitation is rejected, not pending" in err

        again = await invite(admin, sub, "pending")
        listed = (await admin.client.get(URL)).json()["items"]
        assert [(item["id"], item["status"]) for item in listed] == [
            (pending["id"], "rejected"),
            (again["id"], "pending"),
        ]
