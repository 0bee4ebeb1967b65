import uuid

from fastapi import FastAPI
from sqlalchemy import func, select

from coldsend.db.session import session_scope
from coldsend.models import Lead, Workspace
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import create_list
from tests.pages import collect_pages

LEAD_LIST_FIELDS = {"id", "organization_id", "has_enrichment_task", "owned_by", "name", "timestamp_created"}


async def add_leads(app: FastAPI, tenant: Tenant, list_id: str, statuses: list[int | None]) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        for index, status in enumerate(statuses):
            session.add(
                Lead(
                    workspace_id=tenant.workspace_id,
                    list_id=uuid.UUID(list_id),
                    email=f"lead{index}@example.com",
                    verification_status=status,
                )
            )


class TestCreateLeadList:
    async def test_spec_shape(self, app: FastAPI, tenant: Tenant) -> None:
        body = await create_list(tenant, has_enrichment_task=True)
        assert set(body) == LEAD_LIST_FIELDS
        assert body["name"] == "My Lead List"
        assert body["organization_id"] == str(tenant.workspace_id)
        assert body["has_enrichment_task"] is True
        assert uuid.UUID(str(body["id"])).version == 7
        assert str(body["timestamp_created"]).endswith("Z")
        async with session_scope(app.state.sessionmaker) as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
            assert workspace is not None
            assert body["owned_by"] == str(workspace.owner_id)

    async def test_explicit_owner_and_null_enrichment(self, tenant: Tenant) -> None:
        owner = (await tenant.client.get("/api/v2/workspaces/current")).json()["owner"]
        body = await create_list(tenant, owned_by=owner, has_enrichment_task=None)
        assert body["owned_by"] == owner
        assert body["has_enrichment_task"] is None

    async def test_missing_name_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/api/v2/lead-lists", json={"has_enrichment_task": False})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "body must have required property 'name'",
        }

    async def test_bad_fields_are_400(self, tenant: Tenant) -> None:
        for body, message in [
            ({"name": "x", "owned_by": "nope"}, 'body/owned_by must match format "uuid"'),
            ({"name": "x", "extra": 1}, "body must NOT have additional properties"),
            ({"name": 5}, "body/name must be string"),
            ({"name": "x" * 501}, "body/name must NOT have more than 500 characters"),
        ]:
            response = await tenant.client.post("/api/v2/lead-lists", json=body)
            assert response.status_code == 400, body
            assert response.json()["message"] == message

    async def test_403_without_scope(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["lead_lists:read"])
        async with client_for(app, key) as client:
            response = await client.post("/api/v2/lead-lists", json={"name": "x"})
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"


class TestListLeadList:
    async def test_pages_each_list_once(self, tenant: Tenant) -> None:
        created = [(await create_list(tenant, name=f"List {i}"))["id"] for i in range(7)]
        items, pages = await collect_pages(tenant.client, "/api/v2/lead-lists", limit=3)
        assert [item["id"] for item in items] == created
        assert pages == 3
        assert set(items[0]) == LEAD_LIST_FIELDS

    async def test_filters(self, tenant: Tenant) -> None:
        enriched = await create_list(tenant, name="Summer 2025 List", has_enrichment_task=True)
        await create_list(tenant, name="Winter list", has_enrichment_task=False)
        by_search = (await tenant.client.get("/api/v2/lead-lists", params={"search": "summer"})).json()
        assert [item["id"] for item in by_search["items"]] == [enriched["id"]]
        by_flag = (
            await tenant.client.get("/api/v2/lead-lists", params={"has_enrichment_task": "true"})
        ).json()
        assert [item["id"] for item in by_flag["items"]] == [enriched["id"]]

    async def test_timestamp_cursor(self, tenant: Tenant) -> None:
        first = await create_list(tenant, name="first")
        response = await tenant.client.get(
            "/api/v2/lead-lists", params={"starting_after": "2000-01-01T00:00:00.000Z"}
        )
        assert [item["id"] for item in response.json()["items"]] == [first["id"]]
        response = await tenant.client.get(
            "/api/v2/lead-lists", params={"starting_after": "2999-01-01T00:00:00.000Z"}
        )
        assert response.json() == {"items": []}

    async def test_only_own_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await create_list(tenant)
        other = await make_tenant()
        assert (await other.client.get("/api/v2/lead-lists")).json() == {"items": []}


class TestGetPatchDeleteLeadList:
    async def test_get(self, tenant: Tenant) -> None:
        created = await create_list(tenant)
        response = await tenant.client.get(f"/api/v2/lead-lists/{created['id']}")
        assert response.status_code == 200
        assert response.json() == created

    async def test_404_across_workspaces(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        created = await create_list(tenant)
        other = await make_tenant()
        path = f"/api/v2/lead-lists/{created['id']}"
        for method, kwargs in [("GET", {}), ("PATCH", {"json": {"name": "x"}}), ("DELETE", {})]:
            response = await other.client.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 404, method
            assert response.json()["message"] == "Resource not found"
        stats = await other.client.get(f"{path}/verification-stats")
        assert stats.status_code == 404
        assert (await tenant.client.get(path)).status_code == 200

    async def test_patch(self, tenant: Tenant) -> None:
        created = await create_list(tenant, has_enrichment_task=True)
        response = await tenant.client.patch(
            f"/api/v2/lead-lists/{created['id']}", json={"name": "Renamed", "has_enrichment_task": None}
        )
        assert response.status_code == 200
        body = response.json()
        assert body == {**created, "name": "Renamed", "has_enrichment_task": None}
        assert (await tenant.client.get(f"/api/v2/lead-lists/{created['id']}")).json() == body

    async def test_patch_validation(self, tenant: Tenant) -> None:
        created = await create_list(tenant)
        path = f"/api/v2/lead-lists/{created['id']}"
        for body, message in [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"name": None}, "body/name must be string"),
            ({"id": str(uuid.uuid4())}, "body must NOT have additional properties"),
        ]:
            response = await tenant.client.patch(path, json=body)
            assert response.status_code == 400, body
            assert response.json()["message"] == message

    async def test_delete_returns_list_and_removes_leads(self, app: FastAPI, tenant: Tenant) -> None:
        created = await create_list(tenant)
        await add_leads(app, tenant, str(created["id"]), [1, None])
        response = await tenant.client.delete(f"/api/v2/lead-lists/{created['id']}")
        assert response.status_code == 200
        assert response.json() == created
        assert (await tenant.client.get(f"/api/v2/lead-lists/{created['id']}")).status_code == 404
        async with session_scope(app.state.sessionmaker) as session:
            left = await session.scalar(
                select(func.count()).where(Lead.list_id == uuid.UUID(str(created["id"])))
            )
            assert left == 0


class TestVerificationStats:
    async def test_counts_by_status(self, app: FastAPI, tenant: Tenant) -> None:
        created = await create_list(tenant)
        other = await create_list(tenant, name="other")
        await add_leads(app, tenant, str(created["id"]), [1, 1, 1, -1, -2, -2, -3, -4, 11, 12, 12, None])
        await add_leads(app, tenant, str(other["id"]), [1, 1])
        response = await tenant.client.get(f"/api/v2/lead-lists/{created['id']}/verification-stats")
        assert response.status_code == 200
        assert response.json() == {
            "stats": {
                "verified": 3,
                "invalid": 1,
                "risky": 2,
                "catch_all": 1,
                "job_change": 1,
                "verification_job_pending_leadfinder": 1,
                "verification_job_pending_user": 2,
            },
            "total_leads": 12,
        }

    async def test_empty_list(self, tenant: Tenant) -> None:
        created = await create_list(tenant)
        response = await tenant.client.get(f"/api/v2/lead-lists/{created['id']}/verification-stats")
        assert response.json()["total_leads"] == 0
        assert set(response.json()["stats"].values()) == {0}
