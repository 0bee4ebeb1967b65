import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from coldsend.models import ResourceType
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.custom_tag_mappings.rows import insert_mappings
from tests.pages import collect_pages

PATH = "/api/v2/custom-tags"
TOGGLE = f"{PATH}/toggle-resource"
MAPPINGS = "/api/v2/custom-tag-mappings"
DUPLICATE = {"statusCode": 409, "error": "Conflict", "message": "A tag with this name already exists."}
NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}


async def create(tenant: Tenant, label: str = "Important", **fields: Any) -> dict[str, Any]:
    response = await tenant.client.post(PATH, json={"label": label, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCreateCustomTag:
    async def test_success_shape(self, tenant: Tenant) -> None:
        body = await create(tenant, "Important", description="Used for marking important items")
        assert set(body) == {
            "id",
            "timestamp_created",
            "timestamp_updated",
            "organization_id",
            "label",
            "description",
        }
        assert body["label"] == "Important"
        assert body["description"] == "Used for marking important items"
        assert body["organization_id"] == str(tenant.workspace_id)
        assert uuid.UUID(body["id"]).version == 7
        assert body["timestamp_created"].endswith("Z")
        assert len(body["timestamp_created"]) == 24
        got = await tenant.client.get(f"{PATH}/{body['id']}")
        assert got.json() == body

    async def test_description_defaults_to_null(self, tenant: Tenant) -> None:
        assert (await create(tenant, "Warm"))["description"] is None

    async def test_label_is_trimmed(self, tenant: Tenant) -> None:
        assert (await create(tenant, "  Spaced  "))["label"] == "Spaced"

    @pytest.mark.parametrize("label", ["Important", " Important ", "IMPORTANT", "important\t"])
    async def test_duplicate_label_409(self, tenant: Tenant, label: str) -> None:
        await create(tenant, "Important")
        response = await tenant.client.post(PATH, json={"label": label})
        assert response.status_code == 409
        assert response.json() == DUPLICATE
        assert len((await tenant.client.get(PATH)).json()["items"]) == 1

    async def test_same_label_in_another_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await create(tenant, "Important")
        await create(await make_tenant(), "Important")

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must have required property 'label'"),
            ({"label": ""}, "body/label must NOT have fewer than 1 characters"),
            ({"label": "   "}, 'body/label must match pattern ".*\\S.*"'),
            ({"label": 7}, "body/label must be string"),
            ({"label": "x" * 201}, "body/label must NOT have more than 200 characters"),
            ({"label": "x", "color": "red"}, "body must NOT have additional properties"),
            ({"label": "x", "description": 1}, "body/description must be string"),
        ],
    )
    async def test_invalid_body_400(self, tenant: Tenant, body: dict[str, Any], message: str) -> None:
        response = await tenant.client.post(PATH, json=body)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


class TestListCustomTag:
    async def test_pages_each_tag_once(self, tenant: Tenant) -> None:
        created = [(await create(tenant, f"Tag {n}"))["id"] for n in range(25)]
        items, pages = await collect_pages(tenant.client, PATH, limit=10)
        assert pages == 3
        assert [item["id"] for item in items] == created

    async def test_search(self, tenant: Tenant) -> None:
        await create(tenant, "Hot leads")
        await create(tenant, "Cold 100%")
        await create(tenant, "Warm")
        found = (await tenant.client.get(PATH, params={"search": "LEADS"})).json()["items"]
        assert [item["label"] for item in found] == ["Hot leads"]
        found = (await tenant.client.get(PATH, params={"search": "%"})).json()["items"]
        assert [item["label"] for item in found] == ["Cold 100%"]

    async def test_tag_ids(self, tenant: Tenant) -> None:
        first, _second, third = [(await create(tenant, label))["id"] for label in ("a", "b", "c")]
        found = (await tenant.client.get(PATH, params={"tag_ids": f"{first},{third}"})).json()["items"]
        assert [item["id"] for item in found] == [first, third]

    async def test_bad_tag_ids_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(PATH, params={"tag_ids": "abc"})
        assert response.status_code == 400
        assert response.json()["message"] == 'querystring/tag_ids must match format "uuid"'

    async def test_resource_ids(self, app: FastAPI, tenant: Tenant) -> None:
        on_campaign, on_account, _unused = [(await create(tenant, label))["id"] for label in ("a", "b", "c")]
        campaign_id, account_id = str(uuid.uuid4()), str(uuid.uuid4())
        await insert_mappings(app, tenant.workspace_id, on_campaign, [campaign_id])
        await insert_mappings(app, tenant.workspace_id, on_account, [account_id], ResourceType.ACCOUNT)
        found = (await tenant.client.get(PATH, params={"resource_ids": campaign_id})).json()["items"]
        assert [item["id"] for item in found] == [on_campaign]
        both = f"{campaign_id},{account_id}"
        found = (await tenant.client.get(PATH, params={"resource_ids": both})).json()["items"]
        assert [item["id"] for item in found] == [on_campaign, on_account]

    async def test_only_own_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        other_tag = await create(other, "Theirs")
        await create(tenant, "Mine")
        items = (await tenant.client.get(PATH)).json()["items"]
        assert [item["label"] for item in items] == ["Mine"]
        items = (await tenant.client.get(PATH, params={"tag_ids": other_tag["id"]})).json()["items"]
        assert items == []


class TestGetCustomTag:
    async def test_other_workspace_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other_tag = await create(await make_tenant())
        response = await tenant.client.get(f"{PATH}/{other_tag['id']}")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND

    async def test_unknown_404(self, tenant: Tenant) -> None:
        assert (await tenant.client.get(f"{PATH}/{uuid.uuid4()}")).status_code == 404

    async def test_bad_id_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(f"{PATH}/nope")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/id must match format "uuid"'


class TestPatchCustomTag:
    async def test_updates_fields(self, tenant: Tenant) -> None:
        tag = await create(tenant, "Old", description="d")
        response = await tenant.client.patch(f"{PATH}/{tag['id']}", json={"label": " New "})
        assert response.status_code == 200
        body = response.json()
        assert (body["label"], body["description"]) == ("New", "d")
        assert body["timestamp_created"] == tag["timestamp_created"]
        assert body["timestamp_updated"] >= tag["timestamp_updated"]
        response = await tenant.client.patch(f"{PATH}/{tag['id']}", json={"description": None})
        assert response.json()["description"] is None
        assert (await tenant.client.get(f"{PATH}/{tag['id']}")).json()["label"] == "New"

    async def test_own_label_in_other_case(self, tenant: Tenant) -> None:
        tag = await create(tenant, "important")
        response = await tenant.client.patch(f"{PATH}/{tag['id']}", json={"label": "Important"})
        assert response.status_code == 200
        assert response.json()["label"] == "Important"

    async def test_duplicate_label_409(self, tenant: Tenant) -> None:
        await create(tenant, "Taken")
        tag = await create(tenant, "Free")
        response = await tenant.client.patch(f"{PATH}/{tag['id']}", json={"label": "taken "})
        assert response.status_code == 409
        assert response.json() == DUPLICATE
        assert (await tenant.client.get(f"{PATH}/{tag['id']}")).json()["label"] == "Free"

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"label": None}, "body/label must be string"),
            ({"label": " "}, 'body/label must match pattern ".*\\S.*"'),
            ({"organization_id": str(uuid.uuid4())}, "body must NOT have additional properties"),
        ],
    )
    async def test_invalid_body_400(self, tenant: Tenant, body: dict[str, Any], message: str) -> None:
        tag = await create(tenant)
        response = await tenant.client.patch(f"{PATH}/{tag['id']}", json=body)
        assert response.status_code == 400
        assert response.json()["message"] == message

    async def test_other_workspace_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        other_tag = await create(other, "Theirs")
        response = await tenant.client.patch(f"{PATH}/{other_tag['id']}", json={"label": "Mine"})
        assert response.status_code == 404
        assert (await other.client.get(f"{PATH}/{other_tag['id']}")).json()["label"] == "Theirs"


class TestDeleteCustomTag:
    async def test_returns_deleted_tag(self, tenant: Tenant) -> None:
        tag = await create(tenant)
        response = await tenant.client.request(
            "DELETE", f"{PATH}/{tag['id']}", content="null", headers={"content-type": "application/json"}
        )
        assert response.status_code == 200
        assert response.json() == tag
        assert (await tenant.client.get(f"{PATH}/{tag['id']}")).status_code == 404
        await create(tenant)  # the label is free again

    async def test_removes_its_mappings(self, app: FastAPI, tenant: Tenant) -> None:
        gone, kept = await create(tenant, "gone"), await create(tenant, "kept")
        resource_ids = [str(uuid.uuid4()) for _ in range(3)]
        await insert_mappings(app, tenant.workspace_id, gone["id"], resource_ids)
        await insert_mappings(app, tenant.workspace_id, kept["id"], resource_ids[:1])
        assert (await tenant.client.delete(f"{PATH}/{gone['id']}")).status_code == 200
        items = (await tenant.client.get(MAPPINGS)).json()["items"]
        assert [(item["tag_id"], item["resource_id"]) for item in items] == [(kept["id"], resource_ids[0])]

    async def test_other_workspace_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        other_tag = await create(other)
        response = await tenant.client.delete(f"{PATH}/{other_tag['id']}")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert (await other.client.get(f"{PATH}/{other_tag['id']}")).status_code == 200


class TestToggleTagResource:
    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"tag_ids": None}, "body must have required property 'tag_ids'"),
            ({"assign": None}, "body must have required property 'assign'"),
            ({"tag_ids": []}, "body/tag_ids must NOT have fewer than 1 items"),
            ({"tag_ids": ["x"]}, 'body/tag_ids/0 must match format "uuid"'),
            ({"resource_type": 3}, "body/resource_type must be equal to one of the allowed values"),
            ({"assign": "maybe"}, "body/assign must be boolean"),
            ({"resource_ids": []}, "body/resource_ids must NOT have fewer than 1 items"),
            ({"resource_ids": None}, "body must have required property 'resource_ids'"),
            (
                {"resource_ids": None, "selected_all": False},
                "body must have required property 'resource_ids'",
            ),
            (
                {"selected_all": True, "filter": "ACC_FILTER_NOPE"},
                "body/filter must match exactly one schema in oneOf",
            ),
            (
                {"selected_all": True, "filter": {"tag_id": "x"}},
                "body/filter must match exactly one schema in oneOf",
            ),
            ({"extra": 1}, "body must NOT have additional properties"),
        ],
    )
    async def test_invalid_body_400(self, tenant: Tenant, changes: dict[str, Any], message: str) -> None:
        valid = {"tag_ids": [str(uuid.uuid4())], "resource_type": 2, "assign": True, "resource_ids": ["c1"]}
        body = {key: value for key, value in {**valid, **changes}.items() if value is not None}
        response = await tenant.client.post(TOGGLE, json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "Bad Request"
        assert response.json()["message"].startswith(message), response.text

    async def test_unknown_tag_404(self, tenant: Tenant) -> None:
        missing = str(uuid.uuid4())
        response = await tenant.client.post(
            TOGGLE, json={"tag_ids": [missing], "resource_type": 2, "assign": True, "resource_ids": ["c1"]}
        )
        assert response.status_code == 404
        assert response.json()["message"] == f"Custom tags not found in this workspace: {missing}"

    async def test_other_workspace_tag_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other_tag = await create(await make_tenant())
        response = await tenant.client.post(
            TOGGLE,
            json={"tag_ids": [other_tag["id"]], "resource_type": 1, "assign": False, "resource_ids": ["a"]},
        )
        assert response.status_code == 404
        assert other_tag["id"] in response.json()["message"]

    @pytest.mark.parametrize(("resource_type", "name"), [(1, "Accounts"), (2, "Campaigns")])
    @pytest.mark.parametrize("assign", [True, False])
    async def test_unknown_resources_404_and_nothing_written(
        self, tenant: Tenant, resource_type: int, name: str, assign: bool
    ) -> None:
        tag = await create(tenant)
        ids = [str(uuid.uuid4()) for _ in range(12)]
        response = await tenant.client.post(
            TOGGLE,
            json={
                "tag_ids": [tag["id"]],
                "resource_type": resource_type,
                "assign": assign,
                "resource_ids": ids,
            },
        )
        assert response.status_code == 404
        message = response.json()["message"]
        assert message == f"{name} not found in this workspace: {', '.join(ids[:10])} and 2 more"
        assert (await tenant.client.get(MAPPINGS)).json() == {"items": []}

    @pytest.mark.parametrize(
        "selection",
        [
            {},
            {"filter": "ACC_FILTER_PAUSED", "search": "doe.com"},
            {"filter": {"tag_id": "no-tag", "filter": None, "search": "x"}, "excluded_resource_ids": ["a"]},
            {"filter": {"tag_ids": [str(uuid.uuid4())], "tag_ids_all": [str(uuid.uuid4())]}},
            {"filter": None},
        ],
    )
    async def test_selected_all_acts_on_existing_resources_only(
        self, tenant: Tenant, selection: dict[str, Any]
    ) -> None:
        tag = await create(tenant)
        body = {"tag_ids": [tag["id"]], "resource_type": 1, "assign": True, "selected_all": True, **selection}
        response = await tenant.client.post(TOGGLE, json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True}
        assert (await tenant.client.get(MAPPINGS)).json() == {"items": []}

    async def test_needs_update_scope(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        tag = await create(tenant)
        body = {"tag_ids": [tag["id"]], "resource_type": 1, "assign": True, "selected_all": True}
        for scopes, status in (
            (["custom_tags:read", "custom_tags:create", "custom_tags:delete"], 403),
            (["custom_tags:update"], 200),
        ):
            key = await make_key(tenant.workspace_id, scopes)
            async with client_for(app, key) as client:
                response = await client.post(TOGGLE, json=body)
            assert response.status_code == status, response.text


class TestScopes:
    @pytest.mark.parametrize(
        ("method", "path", "needed"),
        [
            ("POST", PATH, "custom_tags:create"),
            ("GET", PATH, "custom_tags:read"),
            ("GET", f"{PATH}/{{id}}", "custom_tags:read"),
            ("PATCH", f"{PATH}/{{id}}", "custom_tags:update"),
            ("DELETE", f"{PATH}/{{id}}", "custom_tags:delete"),
        ],
    )
    async def test_403_without_scope_then_allowed(
        self, tenant: Tenant, make_key: MakeKey, app: FastAPI, method: str, path: str, needed: str
    ) -> None:
        tag = await create(tenant)
        url = path.format(id=tag["id"])
        body = {"label": "Scoped"} if method in ("POST", "PATCH") else None
        others = [f"custom_tags:{action}" for action in ("create", "read", "update", "delete")]
        others.remove(needed)
        for scopes, allowed in (([*others, "custom_tag_mappings:read"], False), ([needed], True)):
            key = await make_key(tenant.workspace_id, scopes)
            async with client_for(app, key) as client:
                response = await client.request(method, url, json=body)
            if allowed:
                assert response.status_code == 200, response.text
            else:
                assert response.status_code == 403
                assert response.json()["error"] == "Forbidden"

    async def test_401_without_key(self, anonymous: Any) -> None:
        response = await anonymous.get(PATH)
        assert response.status_code == 401
