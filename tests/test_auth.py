"""401 forms and the scope matrix, swept over every operation the app implements."""

import pytest
from fastapi import FastAPI

from coldsend.api_key_secrets import generate_key
from coldsend.http.scopes import ACCEPTED_SCOPES
from tests.conftest import MakeKey, Tenant, client_for
from tests.operations import call, is_envelope, served_operations


class TestUnauthorized:
    @pytest.mark.parametrize(
        ("headers", "message"),
        [
            ({}, "Missing Authorization header"),
            ({"Authorization": ""}, "Missing Authorization header"),
            (
                {"Authorization": "Basic dXNlcjpwYXNz"},
                "Invalid Authorization header, expected 'Bearer <API key>'",
            ),
            ({"Authorization": "Bearer"}, "Invalid Authorization header, expected 'Bearer <API key>'"),
            ({"Authorization": f"Bearer {generate_key()}"}, "Invalid API key"),
        ],
    )
    async def test_every_operation_refuses(self, app: FastAPI, headers: dict[str, str], message: str) -> None:
        async with client_for(app) as client:
            client.headers.update(headers)
            for state in ("implemented", "not-available"):
                for op in served_operations(app, state):
                    response = await call(client, op)
                    assert response.status_code == 401, op.operation_id
                    assert response.json() == {
                        "statusCode": 401,
                        "error": "Unauthorized",
                        "message": message,
                    }, op.operation_id


def _other_action_scopes(operation_id: str) -> list[str]:
    """Scopes that look close but must not open the operation."""
    resource, action = next(iter(sorted(ACCEPTED_SCOPES[operation_id]))).split(":")
    specific = [
        s for s in ACCEPTED_SCOPES[operation_id] if not s.startswith("all:") and not s.endswith(":all")
    ]
    resource, action = specific[0].split(":")
    others = [a for a in ("create", "read", "update", "delete") if a != action]
    unrelated = "campaigns:all" if resource == "webhooks" else "webhooks:all"  # another resource's :all
    return [f"{resource}:{a}" for a in others] + [f"all:{a}" for a in others] + [unrelated]


class TestScopes:
    async def test_lacking_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        operations = served_operations(app, "implemented")
        assert operations, "the app implements operations"
        for op in operations:
            key = await make_key(tenant.workspace_id, _other_action_scopes(op.operation_id))
            async with client_for(app, key) as client:
                response = await call(client, op)
            assert response.status_code == 403, (op.operation_id, response.text)
            assert is_envelope(response)
            assert response.json()["error"] == "Forbidden"

    async def test_each_accepted_scope_passes(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        for op in served_operations(app, "implemented"):
            for scope in sorted(ACCEPTED_SCOPES[op.operation_id]):
                key = await make_key(tenant.workspace_id, [scope])
                async with client_for(app, key) as client:
                    response = await call(client, op)
                assert response.status_code not in (401, 403), (op.operation_id, scope, response.text)
                assert response.status_code < 500, (op.operation_id, scope, response.text)
