import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from coldsend import errors
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.lead_lists import service as lead_list_service
from coldsend.lead_lists.schemas import LeadList, LeadListCreate, LeadListUpdate, VerificationStats
from coldsend.models import LeadList as LeadListRow

router = APIRouter(prefix="/api/v2/lead-lists", tags=["LeadList"])


async def _lead_list(id: uuid.UUID, principal: Authorized, session: Session) -> LeadListRow:
    lead_list = await lead_list_service.get(session, workspace_id=principal.workspace_id, list_id=id)
    if lead_list is None:
        raise errors.NotFound()
    return lead_list


Found = Annotated[LeadListRow, Depends(_lead_list)]


def _page_start(starting_after: str | None) -> tuple[uuid.UUID | None, datetime | None]:
    """The spec documents a creation timestamp as the cursor; the ids we hand out work too."""
    if starting_after is None:
        return None, None
    try:
        return uuid.UUID(starting_after), None
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(starting_after)
    except ValueError:
        raise errors.BadRequest('querystring/starting_after must match format "uuid"') from None
    return None, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.post("", operation_id="createLeadList", response_model=LeadList, responses=doc(errors.BadRequest))
async def create_lead_list(body: LeadListCreate, principal: Authorized, session: Session) -> LeadList:
    """Create lead list (`owned_by` defaults to the workspace owner)"""
    lead_list = await lead_list_service.create(
        session,
        workspace_id=principal.workspace_id,
        name=body.name,
        has_enrichment_task=body.has_enrichment_task,
        owned_by=body.owned_by,
    )
    return LeadList.model_validate(lead_list)


@router.get(
    "",
    operation_id="listLeadList",
    response_model=Page[LeadList],
    openapi_extra={"x-coldsend-notes": "`starting_after`: an id (as returned) or an ISO creation timestamp"},
)
async def list_lead_lists(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    has_enrichment_task: Annotated[
        bool | None, Query(description="Whether the list has an enrichment task")
    ] = None,
    search: Annotated[str | None, Query(description="Case-insensitive text in the name")] = None,
) -> Page[LeadList]:
    """List lead list (`starting_after`: the last id seen, or an ISO timestamp of creation)"""
    after, created_after = _page_start(cursor.starting_after)
    filters = lead_list_service.Filters(
        has_enrichment_task=has_enrichment_task,
        search=trimmed(search),
        created_after=created_after,
    )
    rows, more = await lead_list_service.list_page(
        session, workspace_id=principal.workspace_id, filters=filters, limit=cursor.limit, after=after
    )
    items = [LeadList.model_validate(row._asdict()) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.get("/{id}", operation_id="getLeadList", response_model=LeadList, responses=doc(errors.NotFound))
async def get_lead_list(lead_list: Found) -> LeadList:
    """Get lead list"""
    return LeadList.model_validate(lead_list)


@router.patch(
    "/{id}",
    operation_id="patchLeadList",
    response_model=LeadList,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_lead_list(
    id: uuid.UUID, body: LeadListUpdate, principal: Authorized, session: Session
) -> LeadList:
    """Patch lead list"""
    lead_list = await _lead_list(id, principal, session)
    changes = body.model_dump(include=body.model_fields_set)
    return LeadList.model_validate(await lead_list_service.update(session, lead_list, changes=changes))


@router.delete(
    "/{id}", operation_id="deleteLeadList", response_model=LeadList, responses=doc(errors.NotFound)
)
async def delete_lead_list(lead_list: Found, session: Session) -> LeadList:
    """Delete lead list, and the leads in it"""
    shown = LeadList.model_validate(lead_list)
    await lead_list_service.remove(session, lead_list)
    return shown


@router.get(
    "/{id}/verification-stats",
    operation_id="getVerificationStats",
    response_model=VerificationStats,
    openapi_extra={
        "x-coldsend-notes": "verification_status 11 counts as `verification_job_pending_leadfinder`, "
        "12 as `verification_job_pending_user`"
    },
    responses=doc(errors.NotFound),
)
async def get_verification_stats(lead_list: Found, session: Session) -> VerificationStats:
    """Get verification stats for a lead list: its leads counted by verification status"""
    return await lead_list_service.verification_stats(session, lead_list)
