"""Bad input anywhere gets a 4xx in the envelope: never a 500, never a change to stored data."""

import json
import random
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import SecretStr

from coldsend.http.operations import Operation
from tests.conftest import OverrideSettings, Tenant
from tests.operations import call, fill_path, is_envelope, served_operations

INVALID_IDS = ["not-a-uuid", "1", "x" * 300, "00000000-0000-0000-0000-00000000000g"]
ODD_PATH_VALUES = ["%20", ".."]
BAD_QUERIES: list[dict[str, Any]] = [
    {"limit": "abc"},
    {"limit": 0},
    {"limit": -1},
    {"limit": 10**12},
    {"limit": "1.5"},
    {"starting_after": "not-a-cursor"},
]
BAD_BODIES = ["[]", '"text"', "123", "true", "{", '{"a": ', "\x00", '{"unknown_field": 1}', "[" * 50]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1.5, 10**20, -(10**20)])
    if kind == 3:
        return rng.choice(["", "x", "a" * 5000, "ünï", "2026-13-45", "all:all", "\u0000"])
    if kind == 4:
        return rng.choice(["019ffad2-5c92-7661-8a8c-f217e75a6de9", "nobody@example.com", "@@"])
    if kind == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["name", "scopes", "email", "role", "domain", "sub_workspace_id", "nickname", "x", "id"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def route_of(app: FastAPI, op: Operation) -> APIRoute:
    return next(r for r in app.routes if isinstance(r, APIRoute) and r.operation_id == op.operation_id)


def takes_body(app: FastAPI, op: Operation) -> bool:
    return route_of(app, op).body_field is not None


def query_params(app: FastAPI, op: Operation) -> set[str]:
    dependant = route_of(app, op).dependant
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= {param.alias for param in sub.query_params}
    return names


async def snapshot(tenant: Tenant) -> Any:
    return (await tenant.client.get("/api/v2/api-keys")).json()


def assert_client_error(response: Any, context: object) -> None:
    assert 400 <= response.status_code < 500, (context, response.status_code, response.text)
    assert is_envelope(response), (context, response.text)


class TestBadInput:
    async def test_bad_path_params(self, app: FastAPI, tenant: Tenant) -> None:
        before = await snapshot(tenant)
        for op in served_operations(app, "implemented"):
            if "{" not in op.path:
                continue
            for value in INVALID_IDS:
                response = await call(tenant.client, op, path=fill_path(op.path, value))
                assert_client_error(response, (op.operation_id, value))
                assert response.status_code == 400, (op.operation_id, value, response.text)
            for value in ODD_PATH_VALUES:
                response = await call(tenant.client, op, path=fill_path(op.path, value))
                assert_client_error(response, (op.operation_id, value))
        assert await snapshot(tenant) == before

    async def test_bad_queries(self, app: FastAPI, tenant: Tenant) -> None:
        paged = [op for op in served_operations(app, "implemented") if "limit" in query_params(app, op)]
        assert paged
        for op in paged:
            for params in BAD_QUERIES:
                response = await call(tenant.client, op, params=params)
                assert_client_error(response, (op.operation_id, params))
                assert response.status_code == 400, (op.operation_id, params, response.text)

    async def test_malformed_bodies(self, app: FastAPI, tenant: Tenant) -> None:
        before = await snapshot(tenant)
        for op in served_operations(app, "implemented"):
            if not takes_body(app, op):
                continue
            for raw in BAD_BODIES:
                response = await call(
                    tenant.client, op, content=raw, headers={"content-type": "application/json"}
                )
                assert_client_error(response, (op.operation_id, raw))
                assert response.status_code == 400, (op.operation_id, raw, response.text)
        assert await snapshot(tenant) == before

    async def test_random_json_bodies(self, app: FastAPI, tenant: Tenant) -> None:
        rng = random.Random(20261125)
        for op in served_operations(app, "implemented"):
            if not takes_body(app, op):
                continue
            for _ in range(40):
                body = random_json(rng)
                response = await call(tenant.client, op, json=body)
                assert response.status_code < 500, (op.operation_id, json.dumps(body)[:200], response.text)
                if response.status_code >= 400:
                    assert is_envelope(response), (op.operation_id, response.text)


# OAuth init answers a 400 naming these settings while they are missing (whatever the body); with them it
# makes a session without asking the provider anything.
OAUTH_APPS = {
    f"{provider}_{name}": value
    for provider in ("google", "microsoft")
    for name, value in (("client_id", "client-id"), ("client_secret", SecretStr("client-secret")))
}


class TestBodylessOperations:
    async def test_accept_no_body_empty_null_and_object(
        self, app: FastAPI, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(**OAUTH_APPS)
        for op in served_operations(app, "implemented"):
            if op.method == "GET" or takes_body(app, op):
                continue
            for content in (None, "", "null", "{}"):
                headers = {"content-type": "application/json"} if content is not None else {}
                response = await tenant.client.request(
                    op.method, fill_path(op.path), content=content, headers=headers
                )
                assert response.status_code != 400, (op.operation_id, content, response.text)
                assert response.status_code < 500, (op.operation_id, content, response.text)

    async def test_delete_api_key_with_each_body_form(self, tenant: Tenant) -> None:
        for content in (None, "", "null", "{}"):
            created = await tenant.client.post("/api/v2/api-keys", json={"name": "k", "scopes": ["all:read"]})
            headers = {"content-type": "application/json"} if content is not None else {}
            response = await tenant.client.request(
                "DELETE", f"/api/v2/api-keys/{created.json()['id']}", content=content, headers=headers
            )
            assert response.status_code == 200, (content, response.text)
            assert response.json()["id"] == created.json()["id"]


class TestRouting:
    async def test_static_paths_win_over_id_routes(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/campaigns/analytics")
        assert response.status_code == 200, response.text
        assert response.json() == []
        response = await tenant.client.get("/api/v2/webhooks/event-types")
        assert response.status_code == 200, response.text
        assert response.json()["event_types"][0]["id"] == "all_events"
        response = await tenant.client.get("/api/v2/inbox-placement-tests/email-service-provider-options")
        assert response.json()["message"].startswith("getInboxPlacementTestESPOptions ")

    async def test_unknown_route_is_404_envelope(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/no-such-thing")
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Route not found"}

    async def test_wrong_method_is_405_envelope(self, tenant: Tenant) -> None:
        response = await tenant.client.put("/api/v2/api-keys")
        assert response.status_code == 405
        assert is_envelope(response)
