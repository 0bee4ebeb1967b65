"""docs/compatibility.md, the app's routes, its OpenAPI document and the spec agree on all 173 operations."""

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from coldsend.api.app import create_app
from coldsend.api.routing import route_state, unavailable_message
from coldsend.config import Settings
from coldsend.errors import NotAvailable
from coldsend.http.extensions import EXTENSION_KEY
from coldsend.http.operations import OPERATIONS, OPERATIONS_BY_ID
from coldsend.http.responses import reason
from tests.conftest import Tenant
from tests.operations import call

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "compatibility.md"
README = ROOT / "README.md"
GENERATOR = ROOT / "scripts" / "gen_compatibility.py"
SPEC_PATH = Path(__file__).parents[1].parent / "shared/api/instantly-openapi.json"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOT_AVAILABLE_NOTE = re.compile(r"^`(\d{3}) ([^`]+)`: `([^`]+)`$")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    operation_id: str
    scope: str
    state: str
    notes: str

    def key(self) -> tuple[str, str, str, str]:
        return self.method, self.path, self.operation_id, self.scope


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_compatibility", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc_rows() -> list[Row]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] in HTTP_METHODS:
            method, path, operation_id, scope, state, notes = cells
            rows.append(Row(method, path.strip("`"), operation_id.strip("`"), scope.strip("`"), state, notes))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return doc_rows()


@pytest.fixture(scope="module")
def routes() -> list[APIRoute]:
    app = create_app(Settings(), run_engine=False)
    return [route for route in app.routes if isinstance(route, APIRoute)]


def test_rows_are_exactly_the_operations(rows: list[Row]) -> None:
    assert len(rows) == len(OPERATIONS) == 173
    assert sorted(row.key() for row in rows) == sorted(
        (op.method, op.path, op.operation_id, op.scope) for op in OPERATIONS
    )


def test_each_operation_has_one_route_in_the_documented_state(
    rows: list[Row], routes: list[APIRoute], generator: ModuleType
) -> None:
    labels: dict[str, str] = generator.STATE_LABELS
    for row in rows:
        matching = [route for route in routes if route.operation_id == row.operation_id]
        assert len(matching) == 1, row.operation_id
        route = matching[0]
        assert route.methods == {row.method}, row.operation_id
        assert route.path == row.path, row.operation_id
        assert row.state == labels[route_state(route)], row.operation_id
        note = NOT_AVAILABLE_NOTE.match(row.notes)
        if row.state == "not available":
            assert note is not None, row
            assert note.groups() == (
                str(NotAvailable.status_code),
                reason(NotAvailable.status_code),
                unavailable_message(OPERATIONS_BY_ID[row.operation_id]),
            )
        else:
            assert note is None, row


def test_doc_and_readme_counts_are_what_the_generator_writes_now(generator: ModuleType) -> None:
    routes = generator.operation_routes()
    stale = "is stale: run python scripts/gen_compatibility.py"
    assert DOC.read_text(encoding="utf-8") == generator.render(routes), f"docs/compatibility.md {stale}"
    readme = README.read_text(encoding="utf-8")
    assert readme == generator.render_readme(readme, routes), f"the counts in README.md {stale}"


async def test_served_openapi_lists_the_same_operations(
    rows: list[Row], anonymous: httpx.AsyncClient
) -> None:
    response = await anonymous.get("/openapi.json")
    assert response.status_code == 200
    served = {
        operation["operationId"]: (method.upper(), path)
        for path, item in response.json()["paths"].items()
        for method, operation in item.items()
        if method.upper() in HTTP_METHODS and not operation.get(EXTENSION_KEY)
    }
    assert served == {row.operation_id: (row.method, row.path) for row in rows}


def test_doc_matches_spec(rows: list[Row]) -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"spec not available at {SPEC_PATH}")
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    ours = {(row.method, row.path, row.operation_id) for row in rows}
    theirs = {
        (method.upper(), path, operation["operationId"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method.upper() in HTTP_METHODS
    }
    assert ours == theirs


async def test_not_available_operations_answer_as_documented(
    rows: list[Row], tenant: Tenant, anonymous: httpx.AsyncClient
) -> None:
    wrong: list[str] = []
    for row in rows:
        if row.state != "not available":
            continue
        note = NOT_AVAILABLE_NOTE.match(row.notes)
        assert note is not None, row
        status, error, message = note.groups()
        expected = {"statusCode": int(status), "error": error, "message": message}

        op = OPERATIONS_BY_ID[row.operation_id]
        response = await call(tenant.client, op)
        if response.status_code != int(status) or response.json() != expected:
            wrong.append(f"{row.operation_id} with key: {response.status_code} {response.text}")

        response = await call(anonymous, op)
        if response.status_code != 401 or response.json() != {
            "statusCode": 401,
            "error": "Unauthorized",
            "message": "Missing Authorization header",
        }:
            wrong.append(f"{row.operation_id} without key: {response.status_code} {response.text}")
    assert not wrong, "\n".join(wrong)
