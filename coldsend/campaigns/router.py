import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from coldsend import errors
from coldsend.audit_logs import service as audit_log_service
from coldsend.campaigns import flows, sending_status
from coldsend.campaigns import service as campaign_service
from coldsend.campaigns.copy import check_sequences
from coldsend.campaigns.schemas import (
    NAME_MAX_LENGTH,
    Campaign,
    CampaignCreate,
    CampaignDuplicate,
    CampaignItems,
    CampaignUpdate,
    CampaignVariables,
    LaunchedCount,
    SendingStatus,
)
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import ActivityType, CampaignStatus
from coldsend.models import Campaign as CampaignRow
from coldsend.principal import Principal

router = APIRouter(prefix="/api/v2/campaigns", tags=["Campaign"])

CREATE_NOTES = (
    "Creates a draft (status 0). Every email_list address must be an account of the workspace, and every "
    "email_tag_list id one of its custom tags (400 if not; also on PATCH)."
)
ACTIVATE_NOTES = (
    "400 naming what is missing when the campaign has no steps, no accounts or no sending window."
)
EXPORT_NOTES = "The campaign object; POST it (without read-only fields) to /campaigns to recreate it."
FROM_EXPORT_NOTES = (
    "Copies a campaign shared with /share (for 7 days; own campaigns need no share) as a draft; "
    "accounts, account tags and owner are not copied across workspaces."
)
SENDING_NOTES = (
    "The scheduler's verdict, as in not_sending_status: schedule, accounts (paused or in error, daily "
    "limits, sending gap in accounts_summary and status_message), daily limit, leads, follow-up delays; "
    "ai_summary is always null."
)


async def _filters(
    search: Annotated[str | None, Query(description="Search by campaign name")] = None,
    tag_ids: Annotated[str | None, Query(description="Comma-separated tag ids; campaigns with any")] = None,
    ai_sales_agent_id: Annotated[uuid.UUID | None, Query(description="AI Sales Agent ID")] = None,
    status: Annotated[CampaignStatus | None, Query(description="Only campaigns with this status")] = None,
    exclude_status: Annotated[CampaignStatus | None, Query(description="Leave out this status")] = None,
) -> campaign_service.Filters:
    tags: tuple[uuid.UUID, ...] | None = None
    if tag_ids is not None and tag_ids.strip():
        try:
            tags = tuple(uuid.UUID(part.strip()) for part in tag_ids.split(",") if part.strip())
        except ValueError:
            raise errors.BadRequest(
                'querystring/tag_ids must be comma-separated values of format "uuid"'
            ) from None
    return campaign_service.Filters(
        search=trimmed(search),
        tag_ids=tags,
        ai_sdr_id=ai_sales_agent_id,
        status=status,
        exclude_status=exclude_status,
    )


Filters = Annotated[campaign_service.Filters, Depends(_filters)]


async def _campaign(id: uuid.UUID, principal: Authorized, session: Session) -> CampaignRow:
    campaign = await campaign_service.get(session, workspace_id=principal.workspace_id, campaign_id=id)
    if campaign is None:
        raise errors.NotFound()
    return campaign


CampaignOf = Annotated[CampaignRow, Depends(_campaign)]


async def _audit(
    session: Session, principal: Principal, activity: ActivityType, campaign: CampaignRow, **metadata: object
) -> None:
    await audit_log_service.record(
        session,
        principal,
        activity,
        campaign_id=campaign.id,
        metadata={"campaign_id": str(campaign.id), "name": campaign.name, **metadata},
    )


@router.post(
    "",
    operation_id="createCampaign",
    response_model=Campaign,
    responses=doc(errors.BadRequest, errors.PayloadTooLarge),
    openapi_extra={"x-coldsend-notes": CREATE_NOTES},
)
async def create_campaign(
    body: CampaignCreate, principal: Authorized, session: Session, request: Request
) -> Campaign:
    """Create campaign (a draft)"""
    await check_sequences(body.sequences, request.app.state.settings)
    campaign = await campaign_service.create(session, workspace_id=principal.workspace_id, campaign_in=body)
    return campaign_service.shown(campaign)


@router.get("", operation_id="listCampaign", response_model=Page[Campaign])
async def list_campaigns(
    principal: Authorized, session: Session, cursor: Cursor, filters: Filters
) -> Page[Campaign]:
    """List campaign"""
    rows, more = await campaign_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        limit=cursor.limit,
        after=cursor.after_uuid(),
    )
    items = [campaign_service.shown(row) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.get("/count-launched", operation_id="countLaunched", response_model=LaunchedCount)
async def count_launched_campaigns(principal: Authorized, session: Session) -> LaunchedCount:
    """Count of the workspace's campaigns that have ever been launched"""
    return LaunchedCount(
        count=await campaign_service.count_launched(session, workspace_id=principal.workspace_id)
    )


@router.get("/search-by-contact", operation_id="searchByContact", response_model=CampaignItems)
async def search_campaigns_by_contact(
    principal: Authorized,
    session: Session,
    search: Annotated[str | None, Query(description="Search by lead email")] = None,
    sort_column: Annotated[Literal["timestamp_created", "name"], Query(description="Sort column")] = (
        "timestamp_created"
    ),
    sort_order: Annotated[Literal["asc", "desc"], Query(description="Sort direction")] = "asc",
) -> CampaignItems:
    """Campaigns that hold a lead with this email address"""
    if not search or not search.strip():
        return CampaignItems(items=[])
    rows = await campaign_service.search_by_contact(
        session,
        workspace_id=principal.workspace_id,
        email=search,
        sort_column=sort_column,
        descending=sort_order == "desc",
    )
    return CampaignItems(items=[campaign_service.shown(row) for row in rows])


@router.get("/{id}", operation_id="getCampaign", response_model=Campaign, responses=doc(errors.NotFound))
async def get_campaign(campaign: CampaignOf) -> Campaign:
    """Get campaign"""
    return campaign_service.shown(campaign)


@router.patch(
    "/{id}",
    operation_id="patchCampaign",
    response_model=Campaign,
    responses=doc(errors.BadRequest, errors.NotFound, errors.PayloadTooLarge),
)
async def patch_campaign(
    id: uuid.UUID, body: CampaignUpdate, principal: Authorized, session: Session, request: Request
) -> Campaign:
    """Patch campaign (arrays such as email_list and sequences are replaced)"""
    campaign = await _campaign(id, principal, session)
    await check_sequences(body.sequences, request.app.state.settings)
    changed = await campaign_service.update(session, campaign, campaign_in=body)
    if changed:
        await _audit(session, principal, ActivityType.CAMPAIGN_UPDATE, campaign, fields=changed)
    return campaign_service.shown(campaign)


@router.delete(
    "/{id}", operation_id="deleteCampaign", response_model=Campaign, responses=doc(errors.NotFound)
)
async def delete_campaign(campaign: CampaignOf, principal: Authorized, session: Session) -> Campaign:
    """Delete campaign, with its leads and tag assignments"""
    shown = campaign_service.shown(campaign)
    await _audit(session, principal, ActivityType.CAMPAIGN_DELETION, campaign)
    await campaign_service.delete(session, campaign)
    return shown


@router.post(
    "/{id}/activate",
    operation_id="activateCampaign",
    response_model=Campaign,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": ACTIVATE_NOTES},
)
async def activate_campaign(campaign: CampaignOf, principal: Authorized, session: Session) -> Campaign:
    """Activate (launch or resume) campaign"""
    if await flows.activate(session, campaign):
        await _audit(session, principal, ActivityType.CAMPAIGN_LAUNCH, campaign)
    return campaign_service.shown(campaign)


@router.post(
    "/{id}/pause",
    operation_id="pauseCampaign",
    response_model=Campaign,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def pause_campaign(campaign: CampaignOf, principal: Authorized, session: Session) -> Campaign:
    """Pause campaign"""
    if await flows.pause(session, campaign):
        await _audit(session, principal, ActivityType.CAMPAIGN_PAUSE, campaign)
    return campaign_service.shown(campaign)


@router.post(
    "/{id}/share",
    operation_id="shareCampaign",
    status_code=204,
    response_class=Response,
    responses=doc(errors.NotFound),
)
async def share_campaign(campaign: CampaignOf, session: Session) -> Response:
    """Share campaign for 7 days, so any workspace can copy it with from-export"""
    await campaign_service.share(session, campaign)
    return Response(status_code=204)


@router.post(
    "/{id}/from-export",
    operation_id="createFromExport",
    response_model=Campaign,
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": FROM_EXPORT_NOTES},
)
async def create_campaign_from_export(id: uuid.UUID, principal: Authorized, session: Session) -> Campaign:
    """Create a campaign from a shared campaign"""
    source = await campaign_service.get_any(session, campaign_id=id)
    # Another workspace's campaign that is not shared is as good as missing: a 403 would confirm it exists.
    if source is None or (
        source.workspace_id != principal.workspace_id and not campaign_service.is_shared(source)
    ):
        raise errors.NotFound()
    campaign = await campaign_service.copy(
        session, source, workspace_id=principal.workspace_id, name=source.name
    )
    return campaign_service.shown(campaign)


@router.post(
    "/{id}/export",
    operation_id="exportCampaign",
    response_model=Campaign,
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": EXPORT_NOTES},
)
async def export_campaign(campaign: CampaignOf) -> Campaign:
    """Export campaign as JSON"""
    return campaign_service.shown(campaign)


@router.post(
    "/{id}/duplicate",
    operation_id="duplicate",
    response_model=Campaign,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def duplicate_campaign(
    id: uuid.UUID, principal: Authorized, session: Session, body: CampaignDuplicate | None = None
) -> Campaign:
    """Duplicate campaign as a draft, named `<name> (copy)` unless a name is given"""
    campaign = await _campaign(id, principal, session)
    name = body.name if body and body.name else f"{campaign.name} (copy)"[:NAME_MAX_LENGTH]
    copied = await campaign_service.copy(session, campaign, workspace_id=principal.workspace_id, name=name)
    return campaign_service.shown(copied)


@router.post(
    "/{id}/variables",
    operation_id="addVariables",
    response_model=Campaign,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def add_campaign_variables(
    id: uuid.UUID, body: CampaignVariables, principal: Authorized, session: Session
) -> Campaign:
    """Add variable names to the campaign (core ones to core_variables, others to custom_variables)"""
    campaign = await _campaign(id, principal, session)
    if await campaign_service.add_variables(session, campaign, variables=body.variables):
        await _audit(session, principal, ActivityType.CAMPAIGN_UPDATE, campaign, variables=body.variables)
    return campaign_service.shown(campaign)


@router.get(
    "/{id}/sending-status",
    operation_id="getCampaignSendingStatus",
    response_model=SendingStatus,
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": SENDING_NOTES},
)
async def get_campaign_sending_status(
    campaign: CampaignOf,
    session: Session,
    request: Request,
    with_ai_summary: Annotated[bool, Query(description="Accepted; no AI summary is produced")] = False,
) -> SendingStatus:
    """Why the campaign is or is not sending"""
    del with_ai_summary
    return await sending_status.sending_status(session, campaign, request.app.state.settings)
