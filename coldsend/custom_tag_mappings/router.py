from typing import Annotated

from fastapi import APIRouter, Query

from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.custom_tag_mappings.schemas import CustomTagMapping
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import comma_list
from coldsend.http.schemas import Page

router = APIRouter(prefix="/api/v2/custom-tag-mappings", tags=["CustomTagMapping"])


@router.get("", operation_id="listCustomTagMapping", response_model=Page[CustomTagMapping])
async def list_custom_tag_mappings(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    resource_ids: Annotated[
        str | None,
        Query(
            description="The list of resource ids to filter custom tag mappings by. "
            "A resource id is the id of an account or a campaign."
        ),
    ] = None,
) -> Page[CustomTagMapping]:
    """List custom tag mapping"""
    rows, more = await mapping_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        resource_ids=comma_list(resource_ids) or None,
    )
    items = [CustomTagMapping.model_validate(row._asdict()) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)
