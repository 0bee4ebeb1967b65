"""Requests for any operation of the table, for tests that sweep every route."""

import re
import uuid

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from coldsend.api.routing import route_state
from coldsend.http.operations import OPERATIONS, Operation

BODY_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def fill_path(path: str, value: str | None = None) -> str:
    """The path with every `{param}` filled by a plausible value (or `value`)."""

    def one(match: re.Match[str]) -> str:
        if value is not None:
            return value
        name = match.group(1).lower()
        if "email" in name:
            return "nobody@example.com"
        if name == "id" and "background-jobs" in path:
            return "0" * 24
        return str(uuid.uuid4())

    return re.sub(r"\{([^}]+)\}", one, path)


def served_operations(app: FastAPI, state: str) -> list[Operation]:
    states = {route.operation_id: route_state(route) for route in app.routes if isinstance(route, APIRoute)}
    return [op for op in OPERATIONS if states.get(op.operation_id) == state]


async def call(
    client: httpx.AsyncClient, op: Operation, *, path: str | None = None, **kwargs: object
) -> httpx.Response:
    if op.method in BODY_METHODS and "json" not in kwargs and "content" not in kwargs:
        kwargs["json"] = {}
    return await client.request(op.method, path or fill_path(op.path), **kwargs)  # type: ignore[arg-type]


def is_envelope(response: httpx.Response) -> bool:
    body = response.json()
    return (
        isinstance(body, dict)
        and set(body) >= {"statusCode", "error", "message"}
        and body["statusCode"] == response.status_code
    )
