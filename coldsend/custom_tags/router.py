import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import errors
from coldsend.custom_tags import service as custom_tag_service
from coldsend.custom_tags.schemas import (
    CustomTag,
    CustomTagCreate,
    CustomTagUpdate,
    ToggleResult,
    ToggleTagResource,
)
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import comma_list
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import CustomTag as CustomTagRow
from coldsend.principal import Principal

router = APIRouter(prefix="/api/v2/custom-tags", tags=["CustomTag"])


async def _found(session: AsyncSession, principal: Principal, tag_id: uuid.UUID) -> CustomTagRow:
    tag = await custom_tag_service.get(session, workspace_id=principal.workspace_id, tag_id=tag_id)
    if tag is None:
        raise errors.NotFound()
    return tag


def _uuids(name: str, value: str | None) -> list[uuid.UUID] | None:
    ids = comma_list(value) or None
    if ids is None:
        return None
    try:
        return [uuid.UUID(part) for part in ids]
    except ValueError:
        raise errors.BadRequest(f'querystring/{name} must match format "uuid"') from None


@router.post(
    "",
    operation_id="createCustomTag",
    response_model=CustomTag,
    responses=doc(errors.BadRequest, errors.Conflict),
)
async def create_custom_tag(body: CustomTagCreate, principal: Authorized, session: Session) -> CustomTag:
    """Create custom tag"""
    tag = await custom_tag_service.create(session, workspace_id=principal.workspace_id, tag_in=body)
    return CustomTag.model_validate(tag)


@router.get("", operation_id="listCustomTag", response_model=Page[CustomTag])
async def list_custom_tags(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    search: Annotated[str | None, Query(description="The search query to filter custom tags.")] = None,
    resource_ids: Annotated[
        str | None,
        Query(
            description="The list of resource ids to filter custom tags by. "
            "A resource id is the id of an account or a campaign."
        ),
    ] = None,
    tag_ids: Annotated[str | None, Query(description="The list of tag ids to filter custom tags by.")] = None,
) -> Page[CustomTag]:
    """List custom tag"""
    rows, more = await custom_tag_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        search=search,
        resource_ids=comma_list(resource_ids) or None,
        tag_ids=_uuids("tag_ids", tag_ids),
    )
    items = [CustomTag.model_validate(row._asdict()) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.post(
    "/toggle-resource",
    operation_id="toggleTagResource",
    response_model=ToggleResult,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={
        "x-coldsend-notes": "Unknown tag or resource ids are a 404 naming them; nothing changes then"
    },
)
async def toggle_tag_resource(
    body: ToggleTagResource, principal: Authorized, session: Session
) -> ToggleResult:
    """Assign or unassign tags to resources"""
    await custom_tag_service.toggle_resources(session, workspace_id=principal.workspace_id, toggle=body)
    return ToggleResult(success=True)


@router.get("/{id}", operation_id="getCustomTag", response_model=CustomTag, responses=doc(errors.NotFound))
async def get_custom_tag(id: uuid.UUID, principal: Authorized, session: Session) -> CustomTag:
    """Get custom tag"""
    return CustomTag.model_validate(await _found(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="patchCustomTag",
    response_model=CustomTag,
    responses=doc(errors.BadRequest, errors.NotFound, errors.Conflict),
)
async def patch_custom_tag(
    id: uuid.UUID, body: CustomTagUpdate, principal: Authorized, session: Session
) -> CustomTag:
    """Patch custom tag"""
    tag = await _found(session, principal, id)
    tag = await custom_tag_service.update(session, tag, changes=body.model_dump(exclude_unset=True))
    return CustomTag.model_validate(tag)


@router.delete(
    "/{id}", operation_id="deleteCustomTag", response_model=CustomTag, responses=doc(errors.NotFound)
)
async def delete_custom_tag(id: uuid.UUID, principal: Authorized, session: Session) -> CustomTag:
    """Delete custom tag"""
    tag = await _found(session, principal, id)
    shown = CustomTag.model_validate(tag)
    await custom_tag_service.delete(session, tag)
    return shown
