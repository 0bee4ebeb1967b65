"""Lead operations that run as background jobs or move leads: move, interest status, assign, subsequences."""

import uuid

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import errors
from coldsend.addresses import normalize_email
from coldsend.audit_logs import service as audit_log_service
from coldsend.background_jobs import service as background_job_service
from coldsend.background_jobs.schemas import BackgroundJob
from coldsend.clock import utcnow
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.responses import doc
from coldsend.leads import jobs
from coldsend.leads import service as lead_service
from coldsend.leads.bulk_schemas import (
    AssignQueued,
    InterestStatusUpdate,
    InvalidLeadEmail,
    LeadsAssign,
    LeadSelection,
    LeadsMove,
    Queued,
    SubsequenceMove,
    SubsequenceRemove,
)
from coldsend.leads.schemas import Lead as LeadOut
from coldsend.models import ActivityType, CampaignSubsequence, EntityType, Lead, WorkspaceMember
from coldsend.principal import Principal
from coldsend.workspace_members.membership import check_members

router = APIRouter(prefix="/api/v2/leads", tags=["Lead"])

INTEREST_QUEUED = "Lead interest status update background job submitted"


async def _check_source(session: AsyncSession, workspace_id: uuid.UUID, body: LeadSelection) -> None:
    await lead_service.check_container(
        session, workspace_id=workspace_id, campaign_id=body.campaign, list_id=body.list_id
    )


async def _lead(session: AsyncSession, workspace_id: uuid.UUID, id: uuid.UUID) -> Lead:
    lead = await lead_service.get(session, workspace_id=workspace_id, lead_id=id)
    if lead is None:
        raise errors.NotFound()
    return lead


@router.post(
    "/move",
    operation_id="moveLeads",
    response_model=BackgroundJob,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": "Runs as a resumable `move-leads` job"},
)
async def move_leads(body: LeadsMove, principal: Authorized, session: Session) -> BackgroundJob:
    """Move leads to a campaign or list"""
    await _check_source(session, principal.workspace_id, body)
    await check_members(
        session, workspace_id=principal.workspace_id, user_ids=[body.assigned_to], field="body/assigned_to"
    )
    if not await jobs.destination_exists(session, principal.workspace_id, body):
        raise errors.NotFound()
    to_campaign = body.to_campaign_id is not None
    job = await background_job_service.enqueue(
        session,
        workspace_id=principal.workspace_id,
        type=jobs.MOVE_LEADS,
        entity_type=EntityType.CAMPAIGN if to_campaign else EntityType.LIST,
        entity_id=str(body.to_campaign_id if to_campaign else body.to_list_id),
        data={"request": body.model_dump(mode="json", exclude_none=True)},
    )
    audit = await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_MOVED,
        campaign_id=body.to_campaign_id,
        list_id=body.to_list_id,
        metadata={"background_job_id": job.id, "copy_leads": bool(body.copy_leads)},
    )
    await session.flush()
    job.data = {**job.data, "audit_log_id": str(audit.id)}
    await session.flush()
    return BackgroundJob.model_validate(job)


@router.post(
    "/update-interest-status",
    operation_id="updateLeadInterestStatus",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Queued,
    responses={400: {"model": InvalidLeadEmail, "description": "Bad Request"}, **doc(errors.NotFound)},
    openapi_extra={
        "x-coldsend-notes": "Applied by a background job to every lead with that email in the workspace "
        "(or in `campaign_id`/`list_id`); 404 when there is none; a malformed email is 400 "
        '`{"error":"Invalid lead email"}` (with `statusCode` and `message` too)'
    },
)
async def update_interest_status(
    body: InterestStatusUpdate, principal: Authorized, session: Session
) -> Queued | JSONResponse:
    """Update the interest status of a lead"""
    try:
        email = normalize_email(body.lead_email)
    except ValueError:
        return JSONResponse(InvalidLeadEmail().model_dump(), status_code=400)
    await lead_service.check_container(
        session, workspace_id=principal.workspace_id, campaign_id=body.campaign_id, list_id=body.list_id
    )
    where = [Lead.workspace_id == principal.workspace_id, Lead.email == email]
    if body.campaign_id is not None:
        where.append(Lead.campaign_id == body.campaign_id)
    if body.list_id is not None:
        where.append(Lead.list_id == body.list_id)
    if await session.scalar(select(Lead.id).where(*where).limit(1)) is None:
        raise errors.NotFound()
    await background_job_service.enqueue(
        session,
        workspace_id=principal.workspace_id,
        type=jobs.UPDATE_INTEREST_STATUS,
        data={
            "lead_email": email,
            "interest_value": body.interest_value,
            "campaign_id": body.campaign_id and str(body.campaign_id),
            "list_id": body.list_id and str(body.list_id),
        },
    )
    return Queued(message=INTEREST_QUEUED)


@router.post(
    "/bulk-assign",
    operation_id="bulkAssignLeads",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AssignQueued,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={
        "x-coldsend-notes": "The selected leads are shared out among the users in turn by a background job; "
        "users must be members of the workspace (else 404); `smart_view_id` answers 400"
    },
)
async def bulk_assign_leads(body: LeadsAssign, principal: Authorized, session: Session) -> AssignQueued:
    """Bulk assign leads to organization users"""
    await _check_source(session, principal.workspace_id, body)
    await check_members(
        session, workspace_id=principal.workspace_id, user_ids=[body.assigned_to], field="body/assigned_to"
    )
    wanted = set(body.organization_user_ids)
    members = await session.scalars(
        select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == principal.workspace_id, WorkspaceMember.user_id.in_(wanted)
        )
    )
    if set(members.all()) != wanted:
        raise errors.NotFound()
    await background_job_service.enqueue(
        session,
        workspace_id=principal.workspace_id,
        type=jobs.ASSIGN_LEADS,
        data={"request": body.model_dump(mode="json", exclude_none=True)},
    )
    return AssignQueued()


async def _record_subsequence_move(
    session: AsyncSession, principal: Principal, lead: Lead, subsequence_id: uuid.UUID | None, action: str
) -> None:
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_MOVED,
        affected_count=1,
        campaign_id=lead.campaign_id,
        subsequence_id=subsequence_id,
        metadata={"lead_id": str(lead.id), "action": action},
    )


@router.post(
    "/subsequence/move",
    operation_id="moveLeadToSubsequence",
    response_model=LeadOut,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": "The lead must be in the subsequence's parent campaign (else 400)"},
)
async def move_lead_to_subsequence(body: SubsequenceMove, principal: Authorized, session: Session) -> LeadOut:
    """Move a lead to a subsequence"""
    lead = await _lead(session, principal.workspace_id, body.id)
    subsequence = await session.scalar(
        select(CampaignSubsequence).where(
            CampaignSubsequence.id == body.subsequence_id,
            CampaignSubsequence.workspace_id == principal.workspace_id,
        )
    )
    if subsequence is None:
        raise errors.NotFound()
    if lead.campaign_id != subsequence.parent_campaign_id:
        raise errors.BadRequest("The lead is not in the campaign this subsequence belongs to")
    if lead.subsequence_id != subsequence.id:
        lead.subsequence_id = subsequence.id
        lead.timestamp_added_subsequence = utcnow()
        lead.status_summary_subseq = {}
        await session.flush()
    await _record_subsequence_move(session, principal, lead, subsequence.id, "moved to subsequence")
    return lead_service.shown(lead)


@router.post(
    "/subsequence/remove",
    operation_id="removeLeadFromSubsequence",
    response_model=LeadOut,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": "A lead in no subsequence is returned unchanged"},
)
async def remove_lead_from_subsequence(
    body: SubsequenceRemove, principal: Authorized, session: Session
) -> LeadOut:
    """Remove a lead from a subsequence"""
    lead = await _lead(session, principal.workspace_id, body.id)
    if lead.subsequence_id is not None:
        left = lead.subsequence_id
        lead.subsequence_id = None
        lead.timestamp_added_subsequence = None
        await session.flush()
        await _record_subsequence_move(session, principal, lead, left, "removed from subsequence")
    return lead_service.shown(lead)
