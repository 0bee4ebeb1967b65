"""The generated operations table is consistent, and matches the spec when it is available."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from coldsend.http.operations import GRANTABLE_SCOPES, OPERATIONS, OPERATIONS_BY_ID, SCOPE_ACTIONS, Operation

SPEC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "api" / "instantly-openapi.json"
SCOPE_RE = re.compile(r"Requires one of the following scopes:\s*`([^`]+)`")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_operation_ids_and_routes_are_unique() -> None:
    assert len(OPERATIONS) == 173
    assert len({op.operation_id for op in OPERATIONS}) == 173
    assert len({(op.method, op.path) for op in OPERATIONS}) == 173
    assert OPERATIONS_BY_ID == {op.operation_id: op for op in OPERATIONS}


def test_every_scope_is_specific_and_grantable() -> None:
    for op in OPERATIONS:
        resource, _, action = op.scope.partition(":")
        assert resource, op
        assert resource != "all", op
        assert action in {"create", "read", "update", "delete"}, op
        assert op.scope in GRANTABLE_SCOPES, op


def test_grantable_scopes_are_well_formed() -> None:
    assert SCOPE_ACTIONS == ("create", "read", "update", "delete", "all")
    assert "all:all" in GRANTABLE_SCOPES
    assert {f"supersearch_enrichments:{a}" for a in SCOPE_ACTIONS} <= GRANTABLE_SCOPES
    for scope in GRANTABLE_SCOPES:
        resource, _, action = scope.partition(":")
        assert resource, scope
        assert action in SCOPE_ACTIONS, scope


def test_table_matches_spec() -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"spec not available at {SPEC_PATH}")
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))

    ours = {op.operation_id: op for op in OPERATIONS}
    spec_ids: list[str] = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operation_id = operation["operationId"]
            spec_ids.append(operation_id)
            op: Operation = ours[operation_id]
            assert (op.method, op.path) == (method.upper(), path)
            assert op.tag == operation["tags"][0]
            assert op.summary == operation["summary"]
            stated = SCOPE_RE.search(operation.get("description") or "")
            if stated is not None:
                assert op.scope == stated.group(1), operation_id

    assert [op.operation_id for op in OPERATIONS] == spec_ids

    enum = spec["components"]["schemas"]["APIKey"]["properties"]["scopes"]["items"]["enum"]
    supersearch = {f"supersearch_enrichments:{a}" for a in SCOPE_ACTIONS}
    assert GRANTABLE_SCOPES == set(enum) | supersearch
