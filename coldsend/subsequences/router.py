import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from coldsend import errors
from coldsend.audit_logs import service as audit_log_service
from coldsend.campaigns.copy import check_sequences
from coldsend.campaigns.schemas import SendingState, SendingStatus, SendingSummary
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import ActivityType, Campaign
from coldsend.models import CampaignSubsequence as SubsequenceRow
from coldsend.principal import Principal
from coldsend.subsequences import service as subsequence_service
from coldsend.subsequences.schemas import (
    CampaignSubsequence,
    SubsequenceCreate,
    SubsequenceDuplicate,
    SubsequenceUpdate,
    stored,
)

router = APIRouter(prefix="/api/v2/subsequences", tags=["CampaignSubsequence"])


async def _subsequence(id: uuid.UUID, principal: Authorized, session: Session) -> SubsequenceRow:
    subsequence = await subsequence_service.get(
        session, workspace_id=principal.workspace_id, subsequence_id=id
    )
    if subsequence is None:
        raise errors.NotFound()
    return subsequence


Found = Annotated[SubsequenceRow, Depends(_subsequence)]


async def _campaign(session: Session, principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    campaign = await subsequence_service.campaign_in_workspace(
        session, workspace_id=principal.workspace_id, campaign_id=campaign_id
    )
    if campaign is None:
        raise errors.NotFound("Parent campaign not found")
    return campaign


async def _audit_update(
    session: Session, principal: Principal, subsequence: SubsequenceRow, **metadata: object
) -> None:
    await audit_log_service.record(
        session,
        principal,
        ActivityType.SUBSEQUENCE_UPDATE,
        subsequence_id=subsequence.id,
        campaign_id=subsequence.parent_campaign_id,
        metadata={"name": subsequence.name, **metadata},
    )


@router.post(
    "",
    operation_id="createCampaignSubsequence",
    response_model=CampaignSubsequence,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={
        "x-coldsend-notes": (
            "conditions move the campaign's leads in while the subsequence is active: a reply containing "
            "reply_contains (case-insensitive, quoted text excluded), an interest status in crm_status, an "
            "open (2), a click (4), or the last campaign step sent without a reply (91). Only a lead in no "
            "subsequence moves; the oldest matching subsequence wins."
        )
    },
)
async def create_subsequence(
    body: SubsequenceCreate, principal: Authorized, session: Session, request: Request
) -> CampaignSubsequence:
    """Create campaign subsequence (a draft; without a schedule it takes the parent campaign's)"""
    parent = await _campaign(session, principal, body.parent_campaign)
    await check_sequences(body.sequences, request.app.state.settings)
    fields = {
        name: stored(getattr(body, name))
        for name in body.model_fields_set - {"parent_campaign", "name", "conditions"}
    }
    subsequence = await subsequence_service.create(
        session, parent=parent, name=body.name, conditions=stored(body.conditions), fields=fields
    )
    return CampaignSubsequence.model_validate(subsequence)


@router.get("", operation_id="listCampaignSubsequence", response_model=Page[CampaignSubsequence])
async def list_subsequences(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    parent_campaign: Annotated[uuid.UUID | None, Query(description="Only this campaign's")] = None,
    parent_campaign_not: Annotated[uuid.UUID | None, Query(description="All but this campaign's")] = None,
    search: Annotated[str | None, Query(description="Case-insensitive text in the name")] = None,
) -> Page[CampaignSubsequence]:
    """List campaign subsequence"""
    filters = subsequence_service.Filters(
        parent_campaign=parent_campaign,
        parent_campaign_not=parent_campaign_not,
        search=trimmed(search),
    )
    rows, more = await subsequence_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        limit=cursor.limit,
        after=cursor.after_uuid(),
    )
    items = [CampaignSubsequence.model_validate(row._asdict()) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.post(
    "/{id}/duplicate",
    operation_id="duplicateSubsequence",
    response_model=CampaignSubsequence,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def duplicate_subsequence(
    id: uuid.UUID, body: SubsequenceDuplicate, principal: Authorized, session: Session
) -> CampaignSubsequence:
    """Duplicate a subsequence under a campaign (a draft copy, without its leads)"""
    source = await _subsequence(id, principal, session)
    parent = await _campaign(session, principal, body.parent_campaign)
    return CampaignSubsequence.model_validate(
        await subsequence_service.duplicate(session, source, parent=parent, name=body.name)
    )


@router.post(
    "/{id}/pause",
    operation_id="pauseSubsequence",
    response_model=CampaignSubsequence,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def pause_subsequence(
    subsequence: Found, principal: Authorized, session: Session
) -> CampaignSubsequence:
    """Pause a subsequence (status 2)"""
    await subsequence_service.pause(session, subsequence)
    await _audit_update(session, principal, subsequence, action="pause")
    return CampaignSubsequence.model_validate(subsequence)


@router.post(
    "/{id}/resume",
    operation_id="resumeSubsequence",
    response_model=CampaignSubsequence,
    openapi_extra={"x-coldsend-notes": "400 without a step with an enabled variant, or when completed"},
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def resume_subsequence(
    subsequence: Found, principal: Authorized, session: Session
) -> CampaignSubsequence:
    """Resume (or start) a subsequence (status 1); it needs a step with an enabled variant"""
    await subsequence_service.resume(session, subsequence)
    await _audit_update(session, principal, subsequence, action="resume")
    return CampaignSubsequence.model_validate(subsequence)


@router.get(
    "/{id}",
    operation_id="getCampaignSubsequence",
    response_model=CampaignSubsequence,
    responses=doc(errors.NotFound),
)
async def get_subsequence(subsequence: Found) -> CampaignSubsequence:
    """Get campaign subsequence"""
    return CampaignSubsequence.model_validate(subsequence)


@router.patch(
    "/{id}",
    operation_id="patchCampaignSubsequence",
    response_model=CampaignSubsequence,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_subsequence(
    id: uuid.UUID, body: SubsequenceUpdate, principal: Authorized, session: Session, request: Request
) -> CampaignSubsequence:
    """Patch campaign subsequence (arrays and objects sent replace the stored ones)"""
    subsequence = await _subsequence(id, principal, session)
    await check_sequences(body.sequences, request.app.state.settings)
    changes = {name: stored(getattr(body, name)) for name in body.model_fields_set}
    await subsequence_service.update_fields(session, subsequence, changes=changes)
    await _audit_update(session, principal, subsequence, fields=sorted(changes))
    return CampaignSubsequence.model_validate(subsequence)


@router.delete(
    "/{id}",
    operation_id="deleteCampaignSubsequence",
    response_model=CampaignSubsequence,
    responses=doc(errors.NotFound),
)
async def delete_subsequence(subsequence: Found, session: Session) -> CampaignSubsequence:
    """Delete campaign subsequence (its leads leave it and stay in the campaign)"""
    shown = CampaignSubsequence.model_validate(subsequence)
    await subsequence_service.remove(session, subsequence)
    return shown


@router.get(
    "/{id}/sending-status",
    operation_id="getSubsequenceSendingStatus",
    response_model=SendingStatus,
    openapi_extra={"x-coldsend-notes": "Diagnostics: status, issue_tracking, schedule_status; no AI summary"},
    responses=doc(errors.NotFound),
)
async def get_subsequence_sending_status(
    subsequence: Found,
    principal: Authorized,
    session: Session,
    with_ai_summary: Annotated[bool, Query(description="Include AI-generated summary (none here)")] = False,
) -> SendingStatus:
    """Why a subsequence is (not) sending: its status, schedule, accounts and leads"""
    del with_ai_summary
    parent = await _campaign(session, principal, subsequence.parent_campaign_id)
    diagnostics, state = await subsequence_service.sending_status(session, subsequence, parent)
    summary = SendingSummary(
        status=SendingState(state),
        status_message=subsequence_service.STATE_MESSAGES[state],
        issue_started_at=diagnostics["issue_tracking"]["issue_first_seen_at"],
    )
    return SendingStatus(diagnostics=diagnostics, summary=summary)
