import uuid
from typing import Annotated

import orjson
from fastapi import APIRouter, Body, Depends, Request, Response

from coldsend import errors
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.leads import adding as lead_adding
from coldsend.leads import deleting as lead_deleting
from coldsend.leads import merging as lead_merging
from coldsend.leads import service as lead_service
from coldsend.leads.filters import ListParams, list_page
from coldsend.leads.limits import check_custom_variables
from coldsend.leads.schemas import (
    DeletedCount,
    Lead,
    LeadCreate,
    LeadMerge,
    LeadsAdd,
    LeadsAdded,
    LeadsDelete,
    LeadsQuery,
    LeadUpdate,
)
from coldsend.models import Lead as LeadRow

router = APIRouter(prefix="/api/v2/leads", tags=["Lead"])


async def _lead(id: uuid.UUID, principal: Authorized, session: Session) -> LeadRow:
    lead = await lead_service.get(session, workspace_id=principal.workspace_id, lead_id=id)
    if lead is None:
        raise errors.NotFound()
    return lead


LeadById = Annotated[LeadRow, Depends(_lead)]


@router.post(
    "",
    operation_id="createLead",
    response_model=Lead,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def create_lead(body: LeadCreate, principal: Authorized, session: Session, request: Request) -> Lead:
    """Create lead (one already there, or skipped by a `skip_if_in_*` flag, is returned instead)"""
    check_custom_variables("body/custom_variables", body.custom_variables, request.app.state.settings)
    return lead_service.shown(await lead_service.create(session, principal, lead_in=body))


@router.delete(
    "",
    operation_id="bulkDeleteLeads",
    response_model=DeletedCount,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def bulk_delete_leads(body: LeadsDelete, principal: Authorized, session: Session) -> DeletedCount:
    """Delete leads in bulk: those of `campaign_id` / `list_id` matching `status` and `ids`, up to `limit`"""
    return DeletedCount(count=await lead_deleting.delete_many(session, principal, delete_in=body))


@router.post(
    "/list",
    operation_id="listLeads",
    response_model=Page[Lead],
    responses=doc(errors.BadRequest),
)
async def list_leads(
    principal: Authorized, session: Session, body: Annotated[LeadsQuery | None, Body()] = None
) -> Page[Lead]:
    """List leads (by id; with `distinct_contacts`, one per email, by email, and the cursor is an email)"""
    params = ListParams(workspace_id=principal.workspace_id, query=body or LeadsQuery())
    rows, cursor = await list_page(session, lead_service.SHOWN_COLUMNS, params)
    return Page(items=lead_service.shown_rows(rows), next_starting_after=cursor)


@router.post(
    "/merge",
    operation_id="mergeLeads",
    response_model=Lead,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def merge_leads(body: LeadMerge, principal: Authorized, session: Session) -> Lead:
    """Merge two leads: `lead_id` is folded into `destination_lead_id` and deleted"""
    source = await _lead(body.lead_id, principal, session)
    destination = await _lead(body.destination_lead_id, principal, session)
    merged = await lead_merging.merge(session, principal, source=source, destination=destination)
    return lead_service.shown(merged)


@router.post(
    "/add",
    operation_id="bulkAddLeads",
    response_model=LeadsAdded,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def bulk_add_leads(
    body: LeadsAdd, principal: Authorized, session: Session, request: Request
) -> Response:
    """Add up to 1000 leads to a campaign or a list; each lead lands in exactly one counter"""
    settings = request.app.state.settings
    for index, lead_in in enumerate(body.leads):
        if lead_in.custom_variables is not None:
            check_custom_variables(f"body/leads/{index}/custom_variables", lead_in.custom_variables, settings)
    result = await lead_adding.add_many(session, principal, add_in=body)
    summary = {
        "status": "success",
        "total_sent": result.total_sent,
        "leads_uploaded": len(result.created),
        "in_blocklist": result.in_blocklist,
        "blocklist_used": str(body.blocklist_id) if body.blocklist_id else None,
        "duplicated_leads": result.duplicated_leads,
        "skipped_count": result.skipped_count,
        "invalid_email_count": result.invalid_email_count,
        "incomplete_count": result.incomplete_count,
        "duplicate_email_count": result.duplicate_email_count,
        "remaining_in_plan": None,
        "created_leads": [
            {
                "index": index,
                "id": lead_id,
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "phone": phone,
            }
            for index, lead_id, email, first_name, last_name, phone in result.created
        ],
    }
    if result.refused:
        summary["skipped_leads"] = [{"index": index, "reason": reason} for index, reason in result.refused]
    # Built as plain JSON: up to 1000 created leads, without a second validation against LeadsAdded.
    return Response(orjson.dumps(summary), media_type="application/json")


@router.get(
    "/{id}",
    operation_id="getLead",
    response_model=Lead,
    responses=doc(errors.NotFound),
)
async def get_lead(lead: LeadById) -> Lead:
    """Get lead"""
    return lead_service.shown(lead)


@router.patch(
    "/{id}",
    operation_id="patchLead",
    response_model=Lead,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_lead(
    id: uuid.UUID, body: LeadUpdate, principal: Authorized, session: Session, request: Request
) -> Lead:
    """Patch lead (`custom_variables` are merged into the payload: given keys are set, others kept)"""
    lead = await _lead(id, principal, session)
    if body.custom_variables:
        merged = {**(lead.payload or {}), **body.custom_variables}
        check_custom_variables("body/custom_variables", merged, request.app.state.settings)
    return lead_service.shown(await lead_service.update(session, lead, lead_in=body))


@router.delete(
    "/{id}",
    operation_id="deleteLead",
    response_model=Lead,
    responses=doc(errors.NotFound),
)
async def delete_lead(lead: LeadById, principal: Authorized, session: Session) -> Lead:
    """Delete lead"""
    return await lead_service.remove(session, principal, lead)
