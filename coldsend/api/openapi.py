"""The served OpenAPI document: the API key as the spec's bearer scheme, and the errors really answered."""

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from coldsend import errors
from coldsend.api.routing import NOT_AVAILABLE, route_state
from coldsend.http.auth import authorize
from coldsend.http.responses import doc

# The spec's name for it, so generated clients keep their configuration.
SECURITY_SCHEME = "ApiKeyAuth"
BEARER = {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer <key>`"}
# authorize() refuses a malformed x-as-workspace (400), a bad key (401), a missing scope (403), and counts the
# rate limit (429), before any handler runs.
_KEY_ERRORS = (errors.BadRequest, errors.Unauthorized, errors.Forbidden, errors.RateLimited)
# FastAPI's 422 shape; request validation answers 400 in the envelope instead (api/errors.py).
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _needs_key(dependant: Dependant) -> bool:
    return any(sub.call is authorize or _needs_key(sub) for sub in dependant.dependencies)


def _error_responses(
    route: APIRoute, operation: dict[str, Any], needs_key: bool
) -> list[type[errors.ColdsendError]]:
    found: list[type[errors.ColdsendError]] = []
    if operation["responses"].pop("422", None) is not None:
        found.append(errors.BadRequest)
    if needs_key:
        found.extend(_KEY_ERRORS)
        if "{" in route.path_format and route_state(route) != NOT_AVAILABLE:
            found.append(errors.NotFound)
    return found


def _document(schema: dict[str, Any], routes: list[Any]) -> None:
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SECURITY_SCHEME] = BEARER
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        needs_key = _needs_key(route.dependant)
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            if needs_key:
                operation["security"] = [{SECURITY_SCHEME: []}]
            responses = operation["responses"]
            for code, response in doc(*_error_responses(route, operation, needs_key)).items():
                responses.setdefault(str(code), response)
            operation["responses"] = dict(sorted(responses.items()))
    for name in _VALIDATION_SCHEMAS:
        schema["components"].get("schemas", {}).pop(name, None)


def install_openapi(app: FastAPI) -> None:
    """Make app.openapi() return the document with security and error responses filled in."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document(generate(), app.routes)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
