"""A key grants only the scopes it holds; references in request bodies stay inside the workspace."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from tests.campaigns.test_router import ready
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for

KEYS = "/api/v2/api-keys"


class TestScopeEscalation:
    @pytest.mark.parametrize(
        ("held", "wanted", "status"),
        [
            (["api_keys:create"], ["all:all"], 403),
            (["api_keys:create"], ["api_keys:all"], 403),
            (["api_keys:create", "campaigns:read"], ["campaigns:all"], 403),
            (["api_keys:create", "campaigns:all"], ["campaigns:read", "campaigns:delete"], 200),
            (["api_keys:create", "all:read"], ["leads:read", "accounts:read"], 200),
            (["api_keys:create", "all:read"], ["leads:create"], 403),
            (["api_keys:create", "all:read", "all:create", "all:update", "all:delete"], ["all:all"], 200),
            (["all:all"], ["all:all"], 200),
        ],
    )
    async def test_only_held_scopes_are_granted(
        self, app: FastAPI, tenant: Tenant, make_key: MakeKey, held: list[str], wanted: list[str], status: int
    ) -> None:
        async with client_for(app, await make_key(tenant.workspace_id, held)) as client:
            response = await client.post(KEYS, json={"name": "new", "scopes": wanted})
        assert response.status_code == status, response.text
        if status == 403:
            assert response.json()["error"] == "Forbidden"
            listed = (await tenant.client.get(KEYS)).json()["items"]
            assert all(item["name"] != "new" for item in listed)


async def owner_of(tenant: Tenant) -> str:
    owner: str = (await tenant.client.get("/api/v2/workspaces/current")).json()["owner"]
    return owner


async def stranger(make_tenant: MakeTenant) -> str:
    """The user id of another workspace's owner, who is no member here."""
    return await owner_of(await make_tenant(owner_email=f"x-{uuid.uuid4().hex[:8]}@example.com"))


async def campaign_id(tenant: Tenant) -> str:
    response = await tenant.client.post("/api/v2/campaigns", json=ready(email_list=[]))
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Bad Request"
    assert body["message"].startswith(f"body/{field} must be the user id of a member of this workspace")


class TestUserReferences:
    async def test_campaign_owned_by(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        outsider = await stranger(make_tenant)
        refused(
            await tenant.client.post("/api/v2/campaigns", json=ready(email_list=[], owned_by=outsider)),
            "owned_by",
        )
        created = await campaign_id(tenant)
        patch = await tenant.client.patch(f"/api/v2/campaigns/{created}", json={"owned_by": outsider})
        refused(patch, "owned_by")
        mine = await owner_of(tenant)
        patch = await tenant.client.patch(f"/api/v2/campaigns/{created}", json={"owned_by": mine})
        assert patch.status_code == 200
        assert patch.json()["owned_by"] == mine

    async def test_campaign_email_tag_list(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        foreign_tag = (await other.client.post("/api/v2/custom-tags", json={"label": "t"})).json()["id"]
        response = await tenant.client.post(
            "/api/v2/campaigns", json=ready(email_list=[], email_tag_list=[foreign_tag])
        )
        assert response.status_code == 400
        assert response.json()["message"].startswith("email_tag_list holds ids that are not tags")

    async def test_lead_list_owned_by(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        outsider = await stranger(make_tenant)
        response = await tenant.client.post("/api/v2/lead-lists", json={"name": "l", "owned_by": outsider})
        refused(response, "owned_by")
        created = (await tenant.client.post("/api/v2/lead-lists", json={"name": "l"})).json()["id"]
        patch = await tenant.client.patch(f"/api/v2/lead-lists/{created}", json={"owned_by": outsider})
        refused(patch, "owned_by")

    async def test_lead_assigned_to(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        outsider = await stranger(make_tenant)
        campaign = await campaign_id(tenant)
        lead = {"campaign": campaign, "email": "a@example.com", "assigned_to": outsider}
        refused(await tenant.client.post("/api/v2/leads", json=lead), "assigned_to")
        created = await tenant.client.post(
            "/api/v2/leads", json={**lead, "assigned_to": await owner_of(tenant)}
        )
        assert created.status_code == 200, created.text
        lead_id = created.json()["id"]
        refused(
            await tenant.client.patch(f"/api/v2/leads/{lead_id}", json={"assigned_to": outsider}),
            "assigned_to",
        )
        assert (await tenant.client.get(f"/api/v2/leads/{lead_id}")).json()["assigned_to"] != outsider

    async def test_bulk_add_assigned_to(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        outsider = await stranger(make_tenant)
        campaign = await campaign_id(tenant)
        leads = [{"email": "b@example.com"}]
        body: dict[str, Any] = {"campaign_id": campaign, "leads": leads, "assigned_to": outsider}
        refused(await tenant.client.post("/api/v2/leads/add", json=body), "assigned_to")
        body = {"campaign_id": campaign, "leads": [{"email": "c@example.com", "assigned_to": outsider}]}
        refused(await tenant.client.post("/api/v2/leads/add", json=body), "assigned_to")

    async def test_bulk_assign_and_move_assigned_to(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        outsider = await stranger(make_tenant)
        campaign = await campaign_id(tenant)
        mine = await owner_of(tenant)
        assign = {"campaign": campaign, "organization_user_ids": [mine], "assigned_to": outsider}
        refused(await tenant.client.post("/api/v2/leads/bulk-assign", json=assign), "assigned_to")
        target = (await tenant.client.post("/api/v2/lead-lists", json={"name": "to"})).json()["id"]
        move = {"campaign": campaign, "to_list_id": target, "assigned_to": outsider}
        refused(await tenant.client.post("/api/v2/leads/move", json=move), "assigned_to")


class TestFromExport:
    async def test_another_workspaces_unshared_campaign_is_404(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        theirs = await campaign_id(other)
        response = await tenant.client.post(f"/api/v2/campaigns/{theirs}/from-export", json={})
        assert response.status_code == 404
        assert response.json()["error"] == "Not Found"
        missing = await tenant.client.post(f"/api/v2/campaigns/{uuid.uuid4()}/from-export", json={})
        assert (missing.status_code, missing.json()["message"]) == (404, response.json()["message"])
        assert (await other.client.post(f"/api/v2/campaigns/{theirs}/share", json={})).status_code == 204
        copied = await tenant.client.post(f"/api/v2/campaigns/{theirs}/from-export", json={})
        assert copied.status_code == 200
