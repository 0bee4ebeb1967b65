import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from coldsend import errors
from coldsend.block_list_entries import service as block_list_service
from coldsend.block_list_entries.schemas import (
    BlockListEntry,
    BlockListEntryBulkCreate,
    BlockListEntryBulkDelete,
    BlockListEntryCreate,
    BlockListEntryUpdate,
    BulkCreated,
    SkippedValue,
)
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import BlockListEntry as BlockListEntryRow

router = APIRouter(prefix="/api/v2/block-lists-entries", tags=["BlockListEntry"])


async def _filters(
    domains_only: Annotated[bool | None, Query(description="Only domain entries")] = None,
    search: Annotated[str | None, Query(description="Case-insensitive text in the value")] = None,
) -> block_list_service.Filters:
    return block_list_service.Filters(domains_only=bool(domains_only), search=trimmed(search))


Filters = Annotated[block_list_service.Filters, Depends(_filters)]


async def _entry(id: uuid.UUID, principal: Authorized, session: Session) -> BlockListEntryRow:
    entry = await block_list_service.get(session, workspace_id=principal.workspace_id, entry_id=id)
    if entry is None:
        raise errors.NotFound()
    return entry


Entry = Annotated[BlockListEntryRow, Depends(_entry)]


@router.post(
    "",
    operation_id="createBlockListEntry",
    response_model=BlockListEntry,
    responses=doc(errors.BadRequest),
)
async def create_block_list_entry(
    body: BlockListEntryCreate, principal: Authorized, session: Session
) -> BlockListEntry:
    """Create block list entry (a value already blocked returns its existing entry)"""
    entry = await block_list_service.create(
        session, workspace_id=principal.workspace_id, bl_value=body.bl_value
    )
    return BlockListEntry.model_validate(entry)


@router.get("", operation_id="listBlockListEntry", response_model=Page[BlockListEntry])
async def list_block_list_entries(
    principal: Authorized, session: Session, cursor: Cursor, filters: Filters
) -> Page[BlockListEntry]:
    """List block list entry"""
    rows, more = await block_list_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        limit=cursor.limit,
        after=cursor.after_uuid(),
    )
    items = [BlockListEntry.model_validate(row._asdict()) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.delete("", operation_id="deleteallBlockListEntry", response_model=list[BlockListEntry])
async def delete_all_block_list_entries(
    principal: Authorized, session: Session, filters: Filters
) -> list[BlockListEntry]:
    """Delete all block list entries (those matching `domains_only` / `search`, when given)"""
    rows = await block_list_service.delete_many(session, workspace_id=principal.workspace_id, filters=filters)
    return [BlockListEntry.model_validate(row._asdict()) for row in rows]


@router.get(
    "/download",
    operation_id="downloadBlockListEntry",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def download_block_list_entries(
    request: Request, principal: Authorized, filters: Filters
) -> StreamingResponse:
    """Download all block list entries as CSV (`Blocked Email,Date`, oldest first), streamed"""
    lines = block_list_service.csv_lines(
        request.app.state.read_sessionmaker, workspace_id=principal.workspace_id, filters=filters
    )
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="block-list.csv"'},
    )


@router.post(
    "/bulk-create",
    operation_id="createblukBlockListEntry",
    response_model=BulkCreated,
    responses=doc(errors.BadRequest),
)
async def bulk_create_block_list_entries(
    body: BlockListEntryBulkCreate, principal: Authorized, session: Session
) -> BulkCreated:
    """Bulk create block list entry (up to 1000 values; invalid and duplicate values are skipped)"""
    result = await block_list_service.bulk_create(
        session, workspace_id=principal.workspace_id, bl_values=body.bl_values
    )
    skipped = [SkippedValue(bl_value=value, reason="invalid") for value in result.invalid]
    skipped += [SkippedValue(bl_value=value, reason="duplicate") for value in result.duplicates]
    return BulkCreated(
        items=[BlockListEntry.model_validate(row._asdict()) for row in result.created],
        valid_count=len(body.bl_values) - len(result.invalid),
        invalid_count=len(result.invalid),
        skipped=skipped,
    )


@router.post(
    "/bulk-delete",
    operation_id="deletebulkBlockListEntry",
    response_model=list[BlockListEntry],
    responses=doc(errors.BadRequest),
)
async def bulk_delete_block_list_entries(
    body: BlockListEntryBulkDelete, principal: Authorized, session: Session
) -> list[BlockListEntry]:
    """Bulk delete block list entry (ids of other workspaces, or unknown, are ignored)"""
    rows = await block_list_service.delete_many(
        session, workspace_id=principal.workspace_id, ids=body.ids, filters=block_list_service.Filters()
    )
    return [BlockListEntry.model_validate(row._asdict()) for row in rows]


@router.get(
    "/{id}",
    operation_id="getBlockListEntry",
    response_model=BlockListEntry,
    responses=doc(errors.NotFound),
)
async def get_block_list_entry(entry: Entry) -> BlockListEntry:
    """Get block list entry"""
    return BlockListEntry.model_validate(entry)


@router.patch(
    "/{id}",
    operation_id="patchBlockListEntry",
    response_model=BlockListEntry,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_block_list_entry(
    id: uuid.UUID, body: BlockListEntryUpdate, principal: Authorized, session: Session
) -> BlockListEntry:
    """Patch block list entry"""
    assert body.bl_value is not None
    entry = await _entry(id, principal, session)
    updated = await block_list_service.update(session, entry, bl_value=body.bl_value)
    if updated is None:
        raise errors.BadRequest("body/bl_value is already in the block list")
    return BlockListEntry.model_validate(updated)


@router.delete(
    "/{id}",
    operation_id="deleteBlockListEntry",
    response_model=BlockListEntry,
    responses=doc(errors.NotFound),
)
async def delete_block_list_entry(entry: Entry, session: Session) -> BlockListEntry:
    """Delete block list entry"""
    return BlockListEntry.model_validate(await block_list_service.remove(session, entry))
