import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from coldsend.db.session import session_scope
from coldsend.models import AuditLog
from tests.conftest import MakeTenant, Tenant
from tests.pages import collect_pages

URL = "/api/v2/audit-logs"
FIELDS = {
    "id",
    "timestamp",
    "organization_id",
    "activity_type",
    "user_agent",
    "user_id",
    "ip_address",
    "from_api",
    "api_key_id",
    "affected_count",
    "campaign_id",
    "webhook_id",
    "subsequence_id",
    "list_id",
    "audit_metadata",
    "user_name",
}


async def add_entries(app: FastAPI, workspace_id: uuid.UUID, *entries: dict[str, Any]) -> list[str]:
    """Audit rows as the UI and the engine write them (user names, chosen times), oldest id first."""
    async with session_scope(app.state.sessionmaker) as session:
        rows = [
            AuditLog(workspace_id=workspace_id, **{"activity_type": 1, "from_api": False, **entry})
            for entry in entries
        ]
        session.add_all(rows)
        await session.flush()
    return [str(row.id) for row in rows]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


async def listed(tenant: Tenant, **params: str | int) -> list[dict[str, Any]]:
    response = await tenant.client.get(URL, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def own_key_id(tenant: Tenant) -> str:
    keys = (await tenant.client.get("/api/v2/api-keys")).json()["items"]
    return next(str(key["id"]) for key in keys if tenant.key.startswith(key["key"].rstrip("*")))


class TestListAuditLog:
    async def test_api_key_create_and_delete_are_logged(self, tenant: Tenant) -> None:
        headers = {"User-Agent": "coldsend-tests/1.0"}
        created = await tenant.client.post(
            "/api/v2/api-keys", json={"name": "CRM sync", "scopes": ["all:read"]}, headers=headers
        )
        deleted = await tenant.client.delete(f"/api/v2/api-keys/{created.json()['id']}", headers=headers)
        assert deleted.status_code == 200

        response = await tenant.client.get(URL)
        assert response.status_code == 200
        assert set(response.json()) == {"items"}
        items = response.json()["items"]
        assert [item["activity_type"] for item in items] == [38, 37]
        caller_key = await own_key_id(tenant)
        for item in items:
            assert set(item) == FIELDS
            assert item["organization_id"] == str(tenant.workspace_id)
            assert item["from_api"] is True
            assert item["api_key_id"] == caller_key
            assert item["ip_address"] == "203.0.113.7"
            assert item["user_agent"] == "coldsend-tests/1.0"
            assert item["audit_metadata"] == {"api_key_id": created.json()["id"], "name": "CRM sync"}
            assert item["user_id"] is None
            assert uuid.UUID(item["id"]).version == 7
            assert item["timestamp"].endswith("Z")
            assert len(item["timestamp"]) == 24

    async def test_newest_first_and_pages_return_each_entry_once(self, tenant: Tenant, app: FastAPI) -> None:
        ids = await add_entries(app, tenant.workspace_id, *({"affected_count": n} for n in range(25)))
        items, pages = await collect_pages(tenant.client, URL, limit=10)
        seen = [item["id"] for item in items]
        assert pages == 3
        assert seen == list(reversed(ids))

    @pytest.mark.parametrize("limit", [1, 1000])
    async def test_limit_bounds_are_allowed(self, tenant: Tenant, app: FastAPI, limit: int) -> None:
        await add_entries(app, tenant.workspace_id, {}, {})
        response = await tenant.client.get(URL, params={"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["items"]) == min(limit, 2)
        assert ("next_starting_after" in response.json()) is (limit == 1)

    @pytest.mark.parametrize(
        ("limit", "message"),
        [(1001, "querystring/limit must be <= 1000"), (0, "querystring/limit must be >= 1")],
    )
    async def test_limit_out_of_range_is_400(self, tenant: Tenant, limit: int, message: str) -> None:
        response = await tenant.client.get(URL, params={"limit": limit})
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_malformed_cursor_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(URL, params={"starting_after": "yesterday"})
        assert response.status_code == 400
        assert response.json()["message"] == 'querystring/starting_after must match format "uuid"'

    async def test_filter_by_activity_type(self, tenant: Tenant, app: FastAPI) -> None:
        login, _pause, other_login = await add_entries(
            app, tenant.workspace_id, {"activity_type": 1}, {"activity_type": 5}, {"activity_type": 1}
        )
        assert [item["id"] for item in await listed(tenant, activity_type=1)] == [other_login, login]
        assert await listed(tenant, activity_type=37) == []
        response = await tenant.client.get(URL, params={"activity_type": "login"})
        assert response.status_code == 400
        assert response.json()["message"] == "querystring/activity_type must be integer"

    @pytest.mark.parametrize(
        ("search", "expected"),
        [
            ("jane", ["by_user"]),
            ("DOE", ["by_user"]),
            ("198.51.100", ["by_ip"]),
            ("firefox", ["by_agent"]),
            ("Spring launch", ["by_metadata"]),
            ("login", ["by_user"]),
            ("webhook", ["by_type"]),
            ("50%", ["by_literal"]),
            ("_", ["by_literal"]),
            ("nothing like this", []),
        ],
    )
    async def test_search(self, tenant: Tenant, app: FastAPI, search: str, expected: list[str]) -> None:
        ids = await add_entries(
            app,
            tenant.workspace_id,
            {"activity_type": 1, "user_name": "Jane Doe"},
            {"activity_type": 3, "ip_address": "198.51.100.23"},
            {"activity_type": 4, "user_agent": "Mozilla/5.0 Firefox/128.0"},
            {"activity_type": 5, "audit_metadata": {"campaign": "Spring launch"}},
            {"activity_type": 19},
            {"activity_type": 6, "audit_metadata": {"note": "50% done, a_b"}},
        )
        labels = ["by_user", "by_ip", "by_agent", "by_metadata", "by_type", "by_literal"]
        names = dict(zip(ids, labels, strict=True))
        found = [names[item["id"]] for item in await listed(tenant, search=search)]
        assert found == expected

    async def test_date_range_is_whole_utc_days_inclusive(self, tenant: Tenant, app: FastAPI) -> None:
        before, first, last, after = await add_entries(
            app,
            tenant.workspace_id,
            {"timestamp": at("2023-12-31T23:59:59.999Z")},
            {"timestamp": at("2024-01-01T00:00:00.000Z")},
            {"timestamp": at("2024-01-02T23:59:59.999Z")},
            {"timestamp": at("2024-01-03T00:00:00.000Z")},
        )

        async def ids(**params: str) -> set[str]:
            return {item["id"] for item in await listed(tenant, **params)}

        assert await ids(start_date="2024-01-01", end_date="2024-01-02") == {first, last}
        assert await ids(start_date="2024-01-01", end_date="2024-01-01") == {first}
        assert await ids(end_date="2023-12-31") == {before}
        assert await ids(start_date="2024-01-03") == {after}
        assert await ids(start_date="2024-01-02", end_date="2024-01-01") == set()

    @pytest.mark.parametrize("value", ["2024-13-01", "2024-02-30", "01/02/2024", "2024-1-2", "today"])
    @pytest.mark.parametrize("name", ["start_date", "end_date"])
    async def test_invalid_date_is_400(self, tenant: Tenant, name: str, value: str) -> None:
        response = await tenant.client.get(URL, params={name: value})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": f'querystring/{name} must match format "date"',
        }

    async def test_other_workspaces_entries_never_appear(
        self, tenant: Tenant, make_tenant: MakeTenant, app: FastAPI
    ) -> None:
        other = await make_tenant()
        (theirs,) = await add_entries(app, other.workspace_id, {"user_name": "Jane Doe"})
        (mine,) = await add_entries(app, tenant.workspace_id, {"user_name": "Jane Doe"})
        assert [item["id"] for item in await listed(tenant, limit=1000)] == [mine]
        assert [item["id"] for item in await listed(tenant, search="jane", activity_type=1)] == [mine]
        assert await listed(tenant, starting_after=theirs) == []
        assert [item["id"] for item in await listed(other)] == [theirs]

    async def test_needs_audit_logs_read_scope(self, make_tenant: MakeTenant) -> None:
        reader = await make_tenant(scopes=["audit_logs:read"])
        assert (await reader.client.get(URL)).status_code == 200
        outsider = await make_tenant(scopes=["api_keys:read"])
        response = await outsider.client.get(URL)
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"

    async def test_anonymous_is_401(self, anonymous: Any) -> None:
        response = await anonymous.get(URL)
        assert response.status_code == 401
        assert response.json()["message"] == "Missing Authorization header"
