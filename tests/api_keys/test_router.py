import uuid

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.pages import collect_pages


class TestCreateAPIKey:
    async def test_returns_secret_once_and_it_works(self, tenant: Tenant, app: object) -> None:
        response = await tenant.client.post(
            "/api/v2/api-keys", json={"name": "CRM sync", "scopes": ["api_keys:read"]}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {
            "id",
            "name",
            "scopes",
            "key",
            "organization_id",
            "timestamp_created",
            "timestamp_updated",
        }
        assert body["name"] == "CRM sync"
        assert body["scopes"] == ["api_keys:read"]
        assert body["organization_id"] == str(tenant.workspace_id)
        assert uuid.UUID(body["id"]).version == 7
        assert body["timestamp_created"].endswith("Z")
        assert len(body["timestamp_created"]) == 24

        async with client_for(app, body["key"]) as new_client:  # type: ignore[arg-type]
            listed = await new_client.get("/api/v2/api-keys")
        assert listed.status_code == 200
        shown = {item["id"]: item["key"] for item in listed.json()["items"]}
        assert body["key"] not in shown.values()
        assert shown[body["id"]].startswith(body["key"][:8])

    async def test_unknown_scope_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/api/v2/api-keys", json={"name": "x", "scopes": ["nope:read"]})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "body/scopes/0 must be equal to one of the allowed values",
        }

    async def test_missing_name_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/api/v2/api-keys", json={"scopes": ["all:all"]})
        assert response.status_code == 400
        assert response.json()["message"] == "body must have required property 'name'"

    async def test_audited(self, tenant: Tenant) -> None:
        created = (
            await tenant.client.post("/api/v2/api-keys", json={"name": "a", "scopes": ["all:read"]})
        ).json()
        await tenant.client.delete(f"/api/v2/api-keys/{created['id']}")
        logs = (await tenant.client.get("/api/v2/audit-logs")).json()["items"]
        types = [log["activity_type"] for log in logs]
        assert 37 in types
        assert 38 in types


class TestListAPIKey:
    async def test_pages_each_key_once(self, tenant: Tenant, make_key: MakeKey) -> None:
        for _ in range(249):
            await make_key(tenant.workspace_id, ["leads:read"])
        items, pages = await collect_pages(tenant.client, "/api/v2/api-keys", limit=100)
        seen = [item["id"] for item in items]
        assert pages == 3
        assert len(seen) == 250 == len(set(seen))

    async def test_only_own_workspace(self, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        ids = {
            item["organization_id"] for item in (await other.client.get("/api/v2/api-keys")).json()["items"]
        }
        assert ids == {str(other.workspace_id)}


class TestDeleteAPIKey:
    async def test_revoked_key_gets_401(self, tenant: Tenant, make_key: MakeKey, app: object) -> None:
        secret = await make_key(tenant.workspace_id, ["api_keys:read"])
        async with client_for(app, secret) as client:  # type: ignore[arg-type]
            assert (await client.get("/api/v2/api-keys")).status_code == 200
            key_id = next(
                item["id"]
                for item in (await client.get("/api/v2/api-keys")).json()["items"]
                if secret.startswith(item["key"].rstrip("*"))
            )
            deleted = await tenant.client.delete(f"/api/v2/api-keys/{key_id}")
            assert deleted.status_code == 200
            assert deleted.json()["id"] == key_id
            response = await client.get("/api/v2/api-keys")
        assert response.status_code == 401
        assert response.json()["message"] == "API key has been revoked"

    async def test_other_workspace_key_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        other_key = (await other.client.get("/api/v2/api-keys")).json()["items"][0]["id"]
        response = await tenant.client.delete(f"/api/v2/api-keys/{other_key}")
        assert response.status_code == 404
        assert (await other.client.get("/api/v2/api-keys")).status_code == 200
