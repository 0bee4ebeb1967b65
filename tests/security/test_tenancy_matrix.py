"""Two-workspace tenancy matrix over every operation of the spec.

Workspace B's all:all key acts on workspace A's objects (ids in paths, in bodies, in filters), with and
without `x-as-workspace: <A>`, and A's own view of its data is the same afterwards.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from coldsend.api.routing import NOT_AVAILABLE, route_state
from coldsend.http.auth import AS_WORKSPACE_HEADER
from coldsend.http.operations import OPERATIONS, OPERATIONS_BY_ID, Operation
from tests.operations import BODY_METHODS, fill_path, is_envelope
from tests.security.tenancy_requests import MEMBER_REQUESTS, REQUESTS, Kind, Req
from tests.security.tenancy_world import World, build_world, snapshot

DIRECT = "direct"
AS_A = "as-workspace"  # B, never invited into A's group
AS_A_PENDING = "as-workspace-pending"  # the admin workspace whose invitation A has not accepted


@dataclass
class Matrix:
    world: World
    before: dict[str, Any]


@pytest.fixture(scope="module")
async def matrix(app: FastAPI) -> AsyncIterator[Matrix]:
    world = await build_world(app)
    yield Matrix(world, await snapshot(world))
    for client in world.clients:
        await client.aclose()


def cases() -> list[Any]:
    params = []
    for mode in (AS_A, AS_A_PENDING, DIRECT):
        for op in OPERATIONS:
            params.append(pytest.param(op, mode, id=f"{op.operation_id}-{mode}"))
    return params


def is_available(app: FastAPI, op: Operation) -> bool:
    route = next(r for r in app.routes if isinstance(r, APIRoute) and r.operation_id == op.operation_id)
    return route_state(route) != NOT_AVAILABLE


def requests_for(op: Operation, world: World) -> list[Req]:
    build = REQUESTS.get(op.operation_id)
    return build(world) if build else [Req(Kind.OWN, fill_path(op.path))]


async def send(op: Operation, req: Req, world: World, mode: str) -> httpx.Response:
    headers = {AS_WORKSPACE_HEADER: str(world.a.workspace_id)} if mode != DIRECT else {}
    body = req.json if req.json is not None or op.method not in BODY_METHODS else {}
    client = world.pending_admin.client if mode == AS_A_PENDING else world.b.client
    return await client.request(op.method, req.path, params=req.params, json=body, headers=headers)


def leaked(world: World, req: Req, response: httpx.Response) -> set[str]:
    """A's strings in the answer that B did not send itself."""
    sent = req.path + json.dumps(req.params) + json.dumps(req.json)
    return {secret for secret in world.secrets() if secret not in sent and secret in response.text}


def allowed_statuses(op: Operation, req: Req, mode: str, available: bool) -> set[int] | None:
    """The statuses B may get; None: any below 500."""
    if mode != DIRECT:
        return {403}
    if not available:
        return {401, 403, 404, 501}
    if op.operation_id == "createWorkspaceGroupMember":
        # An invitation names another workspace by design. It stays pending (no access) until A accepts it,
        # and shows nothing of A (leaked() below checks the answer for A's name).
        return {200, 400, 403, 404, 409}
    if req.kind is Kind.REF:
        return {400, 403, 404}
    if req.kind is Kind.NEW:
        return {200}
    return None


async def undo_self_admin(world: World, op: Operation, response: httpx.Response) -> None:
    """Take B's invitation of A back, so that A's snapshot and every later case stay as they were."""
    if op.operation_id == "createWorkspaceGroupMember" and response.status_code == 200:
        await world.b.client.delete(f"/api/v2/workspace-group-members/{response.json()['id']}")


async def check(app: FastAPI, world: World, op: Operation, mode: str, requests: list[Req]) -> None:
    available = is_available(app, op)
    for req in requests:
        response = await send(op, req, world, mode)
        await undo_self_admin(world, op, response)
        if req.undo and response.status_code == 200:
            undone = await world.b.client.delete(req.undo.format(id=response.json()["id"]))
            assert undone.status_code == 200, undone.text
        context = (
            op.operation_id,
            mode,
            req.path,
            req.params,
            req.json,
            response.status_code,
            response.text[:500],
        )
        assert response.status_code != 500, context
        assert response.status_code < 500 or (response.status_code == 501 and not available), context
        expected = allowed_statuses(op, req, mode, available)
        if expected is not None:
            assert response.status_code in expected, context
        if response.status_code >= 400:
            assert is_envelope(response), context
        if mode != DIRECT:
            assert AS_WORKSPACE_HEADER in response.json()["message"], context
        assert not leaked(world, req, response), (*context, leaked(world, req, response))


@pytest.mark.parametrize(("op", "mode"), cases())
async def test_b_cannot_reach_a(app: FastAPI, matrix: Matrix, op: Operation, mode: str) -> None:
    await check(app, matrix.world, op, mode, requests_for(op, matrix.world))


@pytest.mark.parametrize("operation_id", sorted(MEMBER_REQUESTS))
async def test_b_cannot_name_a_user_of_a(app: FastAPI, matrix: Matrix, operation_id: str) -> None:
    op = OPERATIONS_BY_ID[operation_id]
    await check(app, matrix.world, op, DIRECT, MEMBER_REQUESTS[operation_id](matrix.world))


def test_every_request_names_a_real_operation() -> None:
    assert set(REQUESTS) | set(MEMBER_REQUESTS) <= set(OPERATIONS_BY_ID)


async def test_a_is_unchanged(matrix: Matrix) -> None:
    """Runs after the matrix (file order): A sees exactly what it saw before B's requests."""
    after = await snapshot(matrix.world)
    changed = {key: (matrix.before[key], after[key]) for key in after if after[key] != matrix.before[key]}
    assert not changed


async def test_b_still_has_its_own_objects(matrix: Matrix) -> None:
    """The cases that pair B's objects with A's were refused for A's sake, not because B's were gone."""
    w = matrix.world
    for path in (
        f"/api/v2/accounts/{w.b_account}",
        f"/api/v2/campaigns/{w.b_campaign}",
        f"/api/v2/leads/{w.b_lead}",
        f"/api/v2/subsequences/{w.b_subsequence}",
        f"/api/v2/custom-tags/{w.b_tag}",
    ):
        response = await w.b.client.get(path)
        assert response.status_code == 200, (path, response.text)
