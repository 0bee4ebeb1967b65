"""NUL in any request string is a 400 naming the field, on every implemented operation (PostgreSQL text
cannot hold it: it used to reach the database and answer 500 there).

The sweep reads the app's own OpenAPI document: every string path parameter, query parameter and request
body field (nested objects, arrays and maps included) of every implemented operation gets a NUL.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from coldsend.http.validation import NO_NUL
from tests.conftest import Tenant
from tests.operations import fill_path, served_operations

HOSTILE = "a\x00b"
MAX_DEPTH = 6


@dataclass
class Probe:
    operation_id: str
    method: str
    url: str
    body: Any
    field: str  # as the message names it

    def __str__(self) -> str:
        return f"{self.operation_id} {self.field}"


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _variants(schema: dict[str, Any], document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    schema = _resolve(schema, document)
    alternatives = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if alternatives:
        for alternative in alternatives:
            yield from _variants(alternative, document)
    else:
        yield schema


def _string_slots(
    schema: dict[str, Any], document: dict[str, Any], depth: int = 0
) -> Iterator[tuple[Any, list[str]]]:
    """(a JSON value holding HOSTILE in one string, the path to it) for every string the schema allows."""
    if depth > MAX_DEPTH:
        return
    for variant in _variants(schema, document):
        kind = variant.get("type")
        if kind == "string":
            yield HOSTILE, []
        elif kind == "array" and "items" in variant:
            for value, path in _string_slots(variant["items"], document, depth + 1):
                yield [value], ["0", *path]
        elif kind == "object" or "properties" in variant:
            for name, field in variant.get("properties", {}).items():
                for value, path in _string_slots(field, document, depth + 1):
                    yield {name: value}, [name, *path]
            extra = variant.get("additionalProperties")
            if isinstance(extra, dict):
                for value, path in _string_slots(extra, document, depth + 1):
                    yield {"key": value}, ["key", *path]


def _accepts_string(schema: dict[str, Any], document: dict[str, Any]) -> bool:
    return any(
        variant.get("type") == "string"
        or (variant.get("type") == "array" and _accepts_string(variant.get("items", {}), document))
        for variant in _variants(schema, document)
    )


def probes(app: FastAPI) -> list[Probe]:
    document = app.openapi()
    found: list[Probe] = []
    for op in served_operations(app, "implemented"):
        spec = document["paths"][op.path][op.method.lower()]
        body_schema = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        for parameter in spec.get("parameters", []):
            if not _accepts_string(parameter.get("schema", {}), document):
                continue
            name = parameter["name"]
            if parameter["in"] == "path":
                url = fill_path(op.path.replace("{" + name + "}", quote(HOSTILE)))
                found.append(Probe(op.operation_id, op.method, url, None, f"params/{name}"))
            elif parameter["in"] == "query":
                url = f"{fill_path(op.path)}?{name}={quote(HOSTILE)}"
                found.append(Probe(op.operation_id, op.method, url, None, f"querystring/{name}"))
        if body_schema:
            for body, where in _string_slots(body_schema, document):
                field = "/".join(["body", *where])
                found.append(Probe(op.operation_id, op.method, fill_path(op.path), body, field))
    return found


class TestNulEverywhere:
    async def test_every_string_of_every_operation_refuses_nul(self, app: FastAPI, tenant: Tenant) -> None:
        sweep = probes(app)
        assert len({probe.operation_id for probe in sweep}) >= 80
        assert len(sweep) >= 400
        wrong: list[str] = []
        for probe in sweep:
            response = await tenant.client.request(probe.method, probe.url, json=probe.body)
            expected = {"statusCode": 400, "error": "Bad Request", "message": f"{probe.field} {NO_NUL}"}
            if response.status_code != 400 or response.json() != expected:
                wrong.append(f"{probe}: {response.status_code} {response.text[:160]}")
        assert wrong == [], f"{len(wrong)} of {len(sweep)} probes:\n" + "\n".join(wrong)

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v2/campaigns",
            "/api/v2/custom-tags",
            "/api/v2/lead-labels",
            "/api/v2/accounts",
            "/api/v2/lead-lists",
            "/api/v2/api-keys",
            "/api/v2/block-lists-entries",
            "/api/v2/workspace-members",
        ],
    )
    async def test_search_with_nul_is_a_400(self, tenant: Tenant, path: str) -> None:
        response = await tenant.client.get(path, params={"search": "\x00"})
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": f"querystring/search {NO_NUL}",
        }

    async def test_a_map_key_with_nul_names_the_map(self, tenant: Tenant) -> None:
        response = await tenant.client.post(
            "/api/v2/leads", json={"email": "ann@lead.test", "custom_variables": {"a\x00": "x"}}
        )
        assert (response.status_code, response.json()["message"]) == (400, f"body/custom_variables {NO_NUL}")


class TestNotNul:
    async def test_the_text_backslash_u0000_is_kept(self, tenant: Tenant) -> None:
        label = "literally \\u0000, not a NUL"
        created = await tenant.client.post("/api/v2/custom-tags", json={"label": label})
        assert created.status_code == 200, created.text
        assert created.json()["label"] == label
        found = await tenant.client.get("/api/v2/custom-tags", params={"search": "\\u0000"})
        assert [tag["label"] for tag in found.json()["items"]] == [label]
