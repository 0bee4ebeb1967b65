import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from coldsend.db.session import session_scope
from coldsend.models import User
from coldsend.workspace_members import service as member_service
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.pages import collect_pages

MEMBER_KEYS = {
    "id",
    "email",
    "user_id",
    "user_email",
    "nickname",
    "name",
    "role",
    "timestamp_created",
    "workspace_id",
    "accepted",
    "issuer_id",
    "permissions",
}

Accept = Callable[[Tenant, str], Awaitable[None]]


def unique_email(prefix: str = "member") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def invite(
    tenant: Tenant, email: str | None = None, role: str = "editor", **fields: Any
) -> dict[str, Any]:
    response = await tenant.client.post(
        "/api/v2/workspace-members", json={"email": email or unique_email(), "role": role, **fields}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def owner_member(tenant: Tenant) -> dict[str, Any]:
    items = (await tenant.client.get("/api/v2/workspace-members")).json()["items"]
    return next(item for item in items if item["role"] == "owner")


@pytest.fixture
def accept(app: FastAPI) -> Accept:
    """The invited person accepts (there is no API operation for that)."""

    async def run(tenant: Tenant, member_id: str) -> None:
        async with session_scope(app.state.sessionmaker) as session:
            member = await member_service.get(
                session, workspace_id=tenant.workspace_id, member_id=uuid.UUID(member_id)
            )
            assert member is not None
            await member_service.accept(session, member)

    return run


async def name_user(app: FastAPI, email: str, first: str, last: str) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        await session.execute(
            update(User).where(User.email == email).values(first_name=first, last_name=last)
        )


class TestCreateWorkspaceMember:
    async def test_invites_a_member_who_has_not_accepted(self, tenant: Tenant) -> None:
        email = unique_email()
        body = await invite(
            tenant,
            email.upper(),
            role="view",
            nickname="Finance lead",
            permissions=["unibox.all", "crm.view"],
        )
        assert set(body) == MEMBER_KEYS
        assert body["email"] == email
        assert body["user_email"] == email
        assert body["role"] == "view"
        assert body["nickname"] == "Finance lead"
        assert body["permissions"] == ["unibox.all", "crm.view"]
        assert body["accepted"] is False
        assert body["issuer_id"] is None
        assert body["name"] == {"first": "", "last": ""}
        assert body["workspace_id"] == str(tenant.workspace_id)
        assert uuid.UUID(body["id"]).version == 7
        assert uuid.UUID(body["user_id"])
        assert body["timestamp_created"].endswith("Z")
        assert len(body["timestamp_created"]) == 24

        fetched = await tenant.client.get(f"/api/v2/workspace-members/{body['id']}")
        assert fetched.json() == body

    async def test_optional_fields_default_to_null(self, tenant: Tenant) -> None:
        body = await invite(tenant)
        assert body["nickname"] is None
        assert body["permissions"] is None

    async def test_same_person_in_two_workspaces_is_one_user(self, make_tenant: MakeTenant) -> None:
        first, second = await make_tenant(), await make_tenant()
        email = unique_email()
        one, two = await invite(first, email), await invite(second, email)
        assert one["id"] != two["id"]
        assert one["user_id"] == two["user_id"]

    async def test_duplicate_email_is_400(self, tenant: Tenant) -> None:
        email = unique_email()
        await invite(tenant, email)
        response = await tenant.client.post(
            "/api/v2/workspace-members", json={"email": email.upper(), "role": "admin"}
        )
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": f"{email} is already a member of this workspace",
        }

    @pytest.mark.parametrize("role", ["owner", "client"])
    async def test_owner_and_client_roles_cannot_be_created(self, tenant: Tenant, role: str) -> None:
        response = await tenant.client.post(
            "/api/v2/workspace-members", json={"email": unique_email(), "role": role}
        )
        assert response.status_code == 400
        assert role in response.json()["message"]
        listed = (await tenant.client.get("/api/v2/workspace-members")).json()["items"]
        assert len(listed) == 1

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"role": "editor"}, "body must have required property 'email'"),
            ({"email": "a@example.com"}, "body must have required property 'role'"),
            ({"email": "not-an-email", "role": "editor"}, 'body/email must match format "email"'),
            (
                {"email": "a@example.com", "role": "boss"},
                "body/role must be equal to one of the allowed values (allowed: 'owner', 'admin', 'editor', "
                "'view', 'client')",
            ),
            (
                {"email": "a@example.com", "role": "view", "permissions": ["everything"]},
                "body/permissions/0 must be equal to one of the allowed values (31 allowed, "
                "e.g. 'dashboard.view', 'campaigns.view', 'campaigns.create', 'campaigns.edit', "
                "'campaigns.delete'; the full list is this field's enum in /openapi.json)",
            ),
            (
                {"email": "a@example.com", "role": "view", "nickname": "n" * 81},
                "body/nickname must NOT have more than 80 characters",
            ),
            (
                {"email": "a@example.com", "role": "view", "accepted": True},
                "body must NOT have additional properties",
            ),
        ],
    )
    async def test_invalid_body_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        response = await tenant.client.post("/api/v2/workspace-members", json=payload)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_read_scope_cannot_create(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["workspace_members:read"])
        async with client_for(app, key) as client:
            response = await client.post(
                "/api/v2/workspace-members", json={"email": unique_email(), "role": "view"}
            )
        assert response.status_code == 403


class TestListWorkspaceMember:
    async def test_lists_the_owner_and_invited_members(self, tenant: Tenant) -> None:
        invited = await invite(tenant)
        response = await tenant.client.get("/api/v2/workspace-members")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items"}
        assert all(set(item) == MEMBER_KEYS for item in body["items"])
        owner = body["items"][0]
        assert owner["role"] == "owner"
        assert owner["accepted"] is True
        assert owner["email"] == "owner@example.com"
        assert [item["id"] for item in body["items"]] == [owner["id"], invited["id"]]

    async def test_filters_by_acceptance(self, tenant: Tenant, accept: Accept) -> None:
        joined, pending = await invite(tenant), await invite(tenant)
        await accept(tenant, joined["id"])
        accepted = (await tenant.client.get("/api/v2/workspace-members", params={"accepted": "true"})).json()
        not_accepted = (
            await tenant.client.get("/api/v2/workspace-members", params={"accepted": "false"})
        ).json()
        owner = await owner_member(tenant)
        assert [item["id"] for item in accepted["items"]] == [owner["id"], joined["id"]]
        assert [item["id"] for item in not_accepted["items"]] == [pending["id"]]

    async def test_searches_email_case_insensitively(self, tenant: Tenant) -> None:
        wanted = await invite(tenant, unique_email("Finance"))
        await invite(tenant, unique_email("sales"))
        found = (await tenant.client.get("/api/v2/workspace-members", params={"search": "FINANCE-"})).json()
        assert [item["id"] for item in found["items"]] == [wanted["id"]]

    async def test_searches_names(self, tenant: Tenant, app: FastAPI) -> None:
        email = unique_email()
        wanted = await invite(tenant, email)
        await invite(tenant)
        first = f"Zed{uuid.uuid4().hex[:6]}"
        await name_user(app, email, first, "Smith")
        for term in (first.lower(), f"{first} smith"):
            found = (await tenant.client.get("/api/v2/workspace-members", params={"search": term})).json()
            assert [item["id"] for item in found["items"]] == [wanted["id"]], term
            assert found["items"][0]["name"] == {"first": first, "last": "Smith"}

    async def test_search_wildcards_are_literal(self, tenant: Tenant) -> None:
        await invite(tenant)
        found = (await tenant.client.get("/api/v2/workspace-members", params={"search": "%"})).json()
        assert found["items"] == []

    async def test_pages_each_member_once(self, tenant: Tenant) -> None:
        for _ in range(24):
            await invite(tenant)
        items, pages = await collect_pages(tenant.client, "/api/v2/workspace-members", limit=10)
        seen = [item["id"] for item in items]
        assert pages == 3
        assert len(seen) == 25 == len(set(seen))
        assert seen == sorted(seen)

    async def test_only_own_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        await invite(other)
        workspaces = {
            item["workspace_id"]
            for item in (await tenant.client.get("/api/v2/workspace-members")).json()["items"]
        }
        assert workspaces == {str(tenant.workspace_id)}

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"limit": 0}, "querystring/limit must be >= 1"),
            ({"limit": 101}, "querystring/limit must be <= 100"),
            ({"accepted": "maybe"}, "querystring/accepted must be boolean"),
            ({"starting_after": "nope"}, 'querystring/starting_after must match format "uuid"'),
        ],
    )
    async def test_invalid_query_is_400(self, tenant: Tenant, params: dict[str, Any], message: str) -> None:
        response = await tenant.client.get("/api/v2/workspace-members", params=params)
        assert response.status_code == 400
        assert response.json()["message"] == message


class TestGetWorkspaceMember:
    async def test_other_workspace_member_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = await invite(other)
        response = await tenant.client.get(f"/api/v2/workspace-members/{theirs['id']}")
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}

    async def test_unknown_id_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.get(f"/api/v2/workspace-members/{uuid.uuid4()}")
        assert response.status_code == 404

    async def test_malformed_id_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/workspace-members/not-a-uuid")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/id must match format "uuid"'


class TestPatchWorkspaceMember:
    async def test_changes_nickname_and_role(self, tenant: Tenant) -> None:
        member = await invite(tenant, role="view")
        response = await tenant.client.patch(
            f"/api/v2/workspace-members/{member['id']}", json={"nickname": "Ops", "role": "admin"}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == MEMBER_KEYS
        assert body == {**member, "nickname": "Ops", "role": "admin"}
        assert (await tenant.client.get(f"/api/v2/workspace-members/{member['id']}")).json() == body

    async def test_clears_nickname_and_keeps_role(self, tenant: Tenant) -> None:
        member = await invite(tenant, role="editor", nickname="Old")
        body = (
            await tenant.client.patch(f"/api/v2/workspace-members/{member['id']}", json={"nickname": None})
        ).json()
        assert body["nickname"] is None
        assert body["role"] == "editor"

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"permissions": ["crm.view"]}, "body must NOT have additional properties"),
            ({"role": None}, "body/role must be string"),
            (
                {"role": "boss"},
                "body/role must be equal to one of the allowed values (allowed: 'owner', 'admin', 'editor', "
                "'view', 'client')",
            ),
            ({"nickname": "n" * 81}, "body/nickname must NOT have more than 80 characters"),
        ],
    )
    async def test_invalid_body_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        member = await invite(tenant)
        response = await tenant.client.patch(f"/api/v2/workspace-members/{member['id']}", json=payload)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    @pytest.mark.parametrize("role", ["owner", "client"])
    async def test_cannot_grant_owner_or_client(self, tenant: Tenant, role: str) -> None:
        member = await invite(tenant, role="admin")
        response = await tenant.client.patch(f"/api/v2/workspace-members/{member['id']}", json={"role": role})
        assert response.status_code == 400
        fetched = await tenant.client.get(f"/api/v2/workspace-members/{member['id']}")
        assert fetched.json()["role"] == "admin"

    async def test_owner_cannot_be_demoted(self, tenant: Tenant) -> None:
        owner = await owner_member(tenant)
        response = await tenant.client.patch(
            f"/api/v2/workspace-members/{owner['id']}", json={"role": "admin"}
        )
        assert response.status_code == 400
        assert "change-owner" in response.json()["message"]
        assert (await owner_member(tenant))["id"] == owner["id"]

    async def test_owner_nickname_can_change(self, tenant: Tenant) -> None:
        owner = await owner_member(tenant)
        response = await tenant.client.patch(
            f"/api/v2/workspace-members/{owner['id']}", json={"nickname": "Boss", "role": "owner"}
        )
        assert response.status_code == 200
        assert response.json()["nickname"] == "Boss"
        assert response.json()["role"] == "owner"

    async def test_other_workspace_member_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = await invite(other, role="view")
        response = await tenant.client.patch(
            f"/api/v2/workspace-members/{theirs['id']}", json={"role": "admin"}
        )
        assert response.status_code == 404
        fetched = await other.client.get(f"/api/v2/workspace-members/{theirs['id']}")
        assert fetched.json()["role"] == "view"


class TestDeleteWorkspaceMember:
    async def test_returns_the_deleted_member(self, tenant: Tenant) -> None:
        member = await invite(tenant)
        response = await tenant.client.delete(f"/api/v2/workspace-members/{member['id']}")
        assert response.status_code == 200
        assert response.json() == member
        assert (await tenant.client.get(f"/api/v2/workspace-members/{member['id']}")).status_code == 404
        again = await tenant.client.post(
            "/api/v2/workspace-members", json={"email": member["email"], "role": "view"}
        )
        assert again.status_code == 200

    async def test_owner_cannot_be_removed(self, tenant: Tenant) -> None:
        owner = await owner_member(tenant)
        response = await tenant.client.delete(f"/api/v2/workspace-members/{owner['id']}")
        assert response.status_code == 400
        assert response.json()["message"] == "The workspace owner cannot be removed from the workspace"
        assert (await tenant.client.get(f"/api/v2/workspace-members/{owner['id']}")).status_code == 200

    async def test_other_workspace_member_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = await invite(other)
        response = await tenant.client.delete(f"/api/v2/workspace-members/{theirs['id']}")
        assert response.status_code == 404
        assert (await other.client.get(f"/api/v2/workspace-members/{theirs['id']}")).status_code == 200
