import uuid

from fastapi import FastAPI

from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.db.session import session_scope
from coldsend.models import ResourceType
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.custom_tag_mappings.rows import insert_mappings
from tests.pages import collect_pages

PATH = "/api/v2/custom-tag-mappings"


async def make_tag(tenant: Tenant, label: str = "Important") -> str:
    response = await tenant.client.post("/api/v2/custom-tags", json={"label": label})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def new_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


class TestListCustomTagMapping:
    async def test_empty_workspace(self, tenant: Tenant) -> None:
        response = await tenant.client.get(PATH)
        assert response.status_code == 200
        assert response.json() == {"items": []}

    async def test_item_shape(self, app: FastAPI, tenant: Tenant) -> None:
        tag_id = await make_tag(tenant)
        [campaign_id] = new_ids(1)
        await insert_mappings(app, tenant.workspace_id, tag_id, [campaign_id])
        [item] = (await tenant.client.get(PATH)).json()["items"]
        assert set(item) == {
            "id",
            "tag_id",
            "resource_id",
            "resource_type",
            "timestamp_created",
            "organization_id",
        }
        assert item["tag_id"] == tag_id
        assert item["resource_id"] == campaign_id
        assert item["resource_type"] == int(ResourceType.CAMPAIGN) == 2
        assert item["organization_id"] == str(tenant.workspace_id)
        assert uuid.UUID(item["id"]).version == 7
        assert item["timestamp_created"].endswith("Z")

    async def test_filter_by_resource_ids(self, app: FastAPI, tenant: Tenant) -> None:
        tag_id = await make_tag(tenant)
        first, second, third = new_ids(3)
        await insert_mappings(app, tenant.workspace_id, tag_id, [first, second, third])
        response = await tenant.client.get(PATH, params={"resource_ids": f"{first}, {third}"})
        assert response.status_code == 200
        assert sorted(item["resource_id"] for item in response.json()["items"]) == sorted([first, third])
        response = await tenant.client.get(PATH, params={"resource_ids": "unknown"})
        assert response.json() == {"items": []}

    async def test_pages_each_mapping_once(self, app: FastAPI, tenant: Tenant) -> None:
        tag_id = await make_tag(tenant)
        await insert_mappings(app, tenant.workspace_id, tag_id, new_ids(25))
        items, pages = await collect_pages(tenant.client, PATH, limit=10)
        assert pages == 3
        assert len({item["id"] for item in items}) == 25
        assert [item["id"] for item in items] == sorted(item["id"] for item in items)

    async def test_only_own_workspace(self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        other_ids = new_ids(2)
        await insert_mappings(app, other.workspace_id, await make_tag(other), other_ids)
        assert (await tenant.client.get(PATH)).json() == {"items": []}
        response = await tenant.client.get(PATH, params={"resource_ids": ",".join(other_ids)})
        assert response.json() == {"items": []}

    async def test_bad_limit_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(PATH, params={"limit": 101})
        assert response.status_code == 400
        assert response.json()["message"] == "querystring/limit must be <= 100"

    async def test_without_scope_is_403(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["custom_tags:read"])
        async with client_for(app, key) as client:
            response = await client.get(PATH)
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"

    async def test_with_mapping_scope(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["custom_tag_mappings:read"])
        async with client_for(app, key) as client:
            assert (await client.get(PATH)).status_code == 200


class TestForgetResource:
    async def test_removes_only_that_resources_mappings(self, app: FastAPI, tenant: Tenant) -> None:
        tag_id = await make_tag(tenant)
        gone, kept = new_ids(2)
        await insert_mappings(app, tenant.workspace_id, tag_id, [gone, kept])
        await insert_mappings(app, tenant.workspace_id, tag_id, [gone], ResourceType.ACCOUNT)
        async with session_scope(app.state.sessionmaker) as session:
            await mapping_service.forget_resource(
                session,
                workspace_id=tenant.workspace_id,
                resource_type=ResourceType.CAMPAIGN,
                resource_ids=[gone],
            )
        items = (await tenant.client.get(PATH)).json()["items"]
        assert sorted((item["resource_id"], item["resource_type"]) for item in items) == sorted(
            [(kept, ResourceType.CAMPAIGN), (gone, ResourceType.ACCOUNT)]
        )

    async def test_leaves_other_workspaces_alone(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        [shared_id] = new_ids(1)
        await insert_mappings(app, other.workspace_id, await make_tag(other), [shared_id])
        async with session_scope(app.state.sessionmaker) as session:
            await mapping_service.forget_resource(
                session,
                workspace_id=tenant.workspace_id,
                resource_type=ResourceType.CAMPAIGN,
                resource_ids=[shared_id],
            )
        assert len((await other.client.get(PATH)).json()["items"]) == 1
