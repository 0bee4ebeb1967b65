import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from coldsend import errors
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.repository import get_in_workspace
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.extensions import EXTENSION_KEY
from coldsend.http.pagination import Cursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.inbox_placement import seeds as seed_service
from coldsend.inbox_placement import service as test_service
from coldsend.inbox_placement.schemas import (
    EspOption,
    PlacementTest,
    PlacementTestCreate,
    PlacementTestUpdate,
    Seed,
    SeedCreate,
)
from coldsend.models import PlacementSeed
from coldsend.models import PlacementTest as PlacementTestRow
from coldsend.principal import Principal

router = APIRouter(prefix="/api/v2/inbox-placement-tests", tags=["InboxPlacementTest"])

TEST_NOTES = (
    "Copies go from the accounts in `emails` (and those tagged with `tags`) to the workspace's seed "
    "mailboxes that `recipients_labels` pick (all seeds when empty), never to the sender itself or a seed "
    "on its own domain, rendered as campaign mail is; each counts against its account's daily limit. "
    "Where each landed is read over IMAP (INBOX, spam folder, other folders; Gmail category labels where "
    "the server offers X-GM-EXT-1); a copy not found within COLDSEND_PLACEMENT_MISSING_MINUTES is missing. "
    "With sending_method 2, the copies the user sends are found by `test_code`. 400 for an unknown "
    "sender account, no seeds, a schedule an automated test cannot run on, or a threshold out of 0-100."
)
SEED_NOTES = (
    "Coldsend extension. A seed is one of the workspace's accounts (by its address: it then never warms "
    "up and never sends campaigns) or a mailbox given by its IMAP settings. Its provider (`esp`) is found "
    "from MX: Google, Microsoft, Yahoo, Zoho, Web.de, Libero.it or Other; `region`, `sub_region` and "
    "`type` (Professional or Personal) are the user's to say."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _found(session: Session, principal: Principal, test_id: uuid.UUID) -> PlacementTestRow:
    test = await test_service.get(session, workspace_id=principal.workspace_id, test_id=test_id)
    if test is None:
        raise errors.NotFound()
    return test


@router.post(
    "",
    operation_id="createInboxPlacementTest",
    response_model=PlacementTest,
    responses=doc(errors.BadRequest),
    openapi_extra={"x-coldsend-notes": TEST_NOTES},
)
async def create_inbox_placement_test(
    body: PlacementTestCreate, principal: Authorized, session: Session
) -> PlacementTest:
    """Create inbox placement test"""
    test = await test_service.create(session, workspace_id=principal.workspace_id, test_in=body, now=utcnow())
    return await test_service.shown(session, test)


@router.get("", operation_id="listInboxPlacementTest", response_model=Page[PlacementTest])
async def list_inbox_placement_tests(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    search: Annotated[str | None, Query()] = None,
    status: Annotated[int | None, Query(ge=1, le=3)] = None,
    sort_order: Annotated[
        Literal["asc", "desc"] | None,
        Query(description="Results are always sorted by id (which is timestamp-sorted: UUIDv7)."),
    ] = None,
) -> Page[PlacementTest]:
    """List inbox placement test"""
    rows, more = await test_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        search=trimmed(search),
        status=status,
        descending=sort_order == "desc",
    )
    items = [await test_service.shown(session, row) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.get(
    "/email-service-provider-options",
    operation_id="getInboxPlacementTestESPOptions",
    response_model=list[EspOption],
    openapi_extra={"x-coldsend-notes": "What the workspace's registered seeds offer"},
)
async def get_esp_options(principal: Authorized, session: Session) -> list[EspOption]:
    """Get ESP options"""
    return await seed_service.esp_options(session, principal.workspace_id)


@router.post(
    "/seeds",
    operation_id="createInboxPlacementSeed",
    response_model=Seed,
    responses=doc(errors.BadRequest, errors.Conflict),
    openapi_extra={EXTENSION_KEY: True, "x-coldsend-notes": SEED_NOTES},
)
async def create_seed(
    body: SeedCreate,
    principal: Authorized,
    session: Session,
    settings: Annotated[Settings, Depends(_settings)],
) -> Seed:
    """Register a seed mailbox: an account of the workspace, or a mailbox over IMAP"""
    seed = await seed_service.create(session, settings, workspace_id=principal.workspace_id, seed_in=body)
    return Seed.model_validate(seed)


@router.get(
    "/seeds",
    operation_id="listInboxPlacementSeed",
    response_model=Page[Seed],
    openapi_extra={EXTENSION_KEY: True, "x-coldsend-notes": SEED_NOTES},
)
async def list_seeds(principal: Authorized, session: Session, cursor: Cursor) -> Page[Seed]:
    """List the seed mailboxes"""
    rows, more = await seed_service.list_page(
        session, workspace_id=principal.workspace_id, limit=cursor.limit, after=cursor.after_uuid()
    )
    items = [Seed.model_validate(row) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.delete(
    "/seeds/{id}",
    operation_id="deleteInboxPlacementSeed",
    response_model=Seed,
    responses=doc(errors.NotFound),
    openapi_extra={EXTENSION_KEY: True, "x-coldsend-notes": SEED_NOTES},
)
async def delete_seed(id: uuid.UUID, principal: Authorized, session: Session) -> Seed:
    """Remove a seed mailbox"""
    seed = await get_in_workspace(session, PlacementSeed, principal.workspace_id, id)
    if seed is None:
        raise errors.NotFound()
    shown = Seed.model_validate(seed)
    await session.delete(seed)
    await session.flush()
    return shown


@router.get(
    "/{id}",
    operation_id="getInboxPlacementTest",
    response_model=PlacementTest,
    responses=doc(errors.NotFound),
)
async def get_inbox_placement_test(
    id: uuid.UUID,
    principal: Authorized,
    session: Session,
    with_metadata: Annotated[bool, Query()] = False,
) -> PlacementTest:
    """Get inbox placement test"""
    return await test_service.shown(
        session, await _found(session, principal, id), with_metadata=with_metadata
    )


@router.patch(
    "/{id}",
    operation_id="patchInboxPlacementTest",
    response_model=PlacementTest,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_inbox_placement_test(
    id: uuid.UUID, body: PlacementTestUpdate, principal: Authorized, session: Session
) -> PlacementTest:
    """Patch inbox placement test"""
    test = await _found(session, principal, id)
    test = await test_service.update(session, test, test_in=body, now=utcnow())
    return await test_service.shown(session, test)


@router.delete(
    "/{id}",
    operation_id="deleteInboxPlacementTest",
    response_model=PlacementTest,
    responses=doc(errors.NotFound),
)
async def delete_inbox_placement_test(
    id: uuid.UUID, principal: Authorized, session: Session
) -> PlacementTest:
    """Delete inbox placement test"""
    test = await _found(session, principal, id)
    shown = await test_service.shown(session, test)
    await test_service.delete_test(session, test)
    return shown
