"""Every analytics operation: campaigns, subsequences and sending accounts (one package, one router)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from coldsend import errors
from coldsend.analytics import accounts as account_analytics
from coldsend.analytics import campaigns as campaign_analytics
from coldsend.analytics import dates
from coldsend.analytics import subsequences as subsequence_analytics
from coldsend.analytics.schemas import (
    CampaignAnalytics,
    CampaignAnalyticsOverview,
    CampaignStepAnalytics,
    DailyAccountAnalytics,
    DailyCampaignAnalytics,
    StepAnalytics,
    SubsequenceAnalytics,
    WarmupAnalytics,
    WarmupAnalyticsRequest,
)
from coldsend.clock import utcnow
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.responses import doc
from coldsend.models import CampaignStatus

router = APIRouter(prefix="/api/v2")

DATE_HELP = (
    "A date (YYYY-MM-DD, UTC midnight) or an ISO 8601 timestamp; a date-only end_date includes that whole day"
)
StartDate = Annotated[str | None, Query(description=f"Start of the range. {DATE_HELP}")]
EndDate = Annotated[str | None, Query(description=f"End of the range. {DATE_HELP}")]
CampaignIdParam = Annotated[uuid.UUID | None, Query(description="A campaign ID; empty for all campaigns")]
CampaignIdsParam = Annotated[
    list[str] | None,
    Query(description="Campaign IDs (repeat the parameter, or comma-separated); empty for all campaigns"),
]
StatusParam = Annotated[CampaignStatus | None, Query(description="Only campaigns with this status")]

COUNTING_NOTES = (
    "Counted from recorded events (UTC days); the campaign's own steps only (subsequences are separate). "
    "`*_unique` = distinct leads, `*_unique_by_step` = once per lead and step, totals include repeats. "
    "Opportunities are leads with a positive interest status (in range by their last interest change), "
    "each worth the campaign's pl_value. bounced_count is leads stopped as bounced; the extension fields "
    "hard_bounced_count and soft_bounced_count split bounced leads by kind (a soft bounce counts even when "
    "a later try went through) and complaint_count is leads that marked the mail as spam (docs/bounces.md)."
)
ANALYTICS_NOTES = (
    f"{COUNTING_NOTES} open_count is leads that opened, as the spec describes it. "
    "exclude_total_leads_count=true leaves leads_count out. Another workspace's id is 404."
)
OVERVIEW_NOTES = (
    f"{COUNTING_NOTES} Interest totals count leads by their current status (no status history is kept, "
    "so expand_crm_events has no effect)."
)
DAILY_NOTES = (
    "Days with activity only, oldest first (UTC days); opportunities by the day of the interest change."
)
STEPS_NOTES = (
    "Zero-based step and variant; opportunities are attributed to the step and variant the lead replied to "
    "(null when unknown)."
)
ACCOUNT_DAILY_NOTES = (
    "Days with activity per account, subsequences included. Range at most 31 days (413 beyond); without an "
    "emails filter, 413 when the workspace has more than 200 accounts."
)
SUBSEQUENCE_NOTES = "Every subsequence of the campaign, oldest first; unique_* count distinct leads."
SUBSEQUENCE_STEPS_NOTES = "Zero-based step and variant; dates are whole UTC days, both ends included."
WARMUP_NOTES = (
    "Measured, not estimated: per UTC day (by when the mail was sent) over the last 30 days, `sent` is "
    "the account's warmup mail sent, `landed_inbox` / `landed_spam` how much of it the pool's IMAP reads "
    "found in the recipient's INBOX or spam folder (not yet found: in neither), `received` the warmup mail "
    "the account's own mailbox was found to hold. health_score = landed_inbox / (landed_inbox + "
    'landed_spam) in percent, rounded (13 of 15 gives 87), label "87%"; absent until any mail was found. '
    "Counters are always present (0 included). Only the workspace's accounts among `emails` are reported."
)


def _uuids(values: list[str] | None) -> list[uuid.UUID]:
    try:
        return [
            uuid.UUID(part.strip()) for value in values or () for part in value.split(",") if part.strip()
        ]
    except ValueError:
        raise errors.BadRequest('querystring/ids must match format "uuid"') from None


async def _selection(
    principal: Authorized, session: Session, *ids: uuid.UUID | None, status: int | None = None
) -> campaign_analytics.Selection:
    """The campaigns asked for (every one when no id is given); 404 if an id is not the workspace's."""
    wanted = tuple(dict.fromkeys(one for one in ids if one is not None))
    if wanted:
        await campaign_analytics.check_ids(session, workspace_id=principal.workspace_id, ids=wanted)
    return campaign_analytics.Selection(
        workspace_id=principal.workspace_id, ids=wanted or None, status=status
    )


@router.get(
    "/campaigns/analytics",
    operation_id="getCampaignAnalytics",
    tags=["Campaign", "Analytics"],
    response_model=list[CampaignAnalytics],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": ANALYTICS_NOTES},
)
async def get_campaign_analytics(
    principal: Authorized,
    session: Session,
    id: CampaignIdParam = None,
    ids: CampaignIdsParam = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    exclude_total_leads_count: Annotated[bool, Query(description="Leave leads_count out")] = False,
) -> list[CampaignAnalytics]:
    """Get campaign(s) analytics"""
    window = dates.instants(start_date, end_date)
    selection = await _selection(principal, session, id, *_uuids(ids))
    return await campaign_analytics.per_campaign(
        session, selection, window, with_leads_count=not exclude_total_leads_count
    )


@router.get(
    "/campaigns/analytics/overview",
    operation_id="getCampaignAnalyticsOverview",
    tags=["Campaign", "Analytics"],
    response_model=CampaignAnalyticsOverview,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": OVERVIEW_NOTES},
)
async def get_campaign_analytics_overview(
    principal: Authorized,
    session: Session,
    id: CampaignIdParam = None,
    ids: CampaignIdsParam = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    campaign_status: StatusParam = None,
    expand_crm_events: Annotated[bool, Query(description="Accepted; no status history is kept")] = False,
) -> CampaignAnalyticsOverview:
    """Get campaign(s) analytics overview"""
    del expand_crm_events
    window = dates.instants(start_date, end_date)
    selection = await _selection(principal, session, id, *_uuids(ids), status=campaign_status)
    return await campaign_analytics.overview(session, selection, window)


@router.get(
    "/campaigns/analytics/daily",
    operation_id="getDailyCampaignAnalytics",
    tags=["Campaign", "Analytics"],
    response_model=list[DailyCampaignAnalytics],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": DAILY_NOTES},
)
async def get_daily_campaign_analytics(
    principal: Authorized,
    session: Session,
    campaign_id: CampaignIdParam = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    campaign_status: StatusParam = None,
) -> list[DailyCampaignAnalytics]:
    """Get daily campaign analytics"""
    window = dates.instants(start_date, end_date)
    selection = await _selection(principal, session, campaign_id, status=campaign_status)
    return await campaign_analytics.daily(session, selection, window)


@router.get(
    "/campaigns/analytics/steps",
    operation_id="getCampaignStepsAnalytics",
    tags=["Campaign", "Analytics"],
    response_model=list[CampaignStepAnalytics],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": STEPS_NOTES},
)
async def get_campaign_steps_analytics(
    principal: Authorized,
    session: Session,
    campaign_id: CampaignIdParam = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
    include_opportunities_count: Annotated[
        bool, Query(description="Add opportunities, unique_opportunities, meetings_booked and won")
    ] = False,
) -> list[CampaignStepAnalytics]:
    """Get campaign steps analytics"""
    window = dates.instants(start_date, end_date)
    selection = await _selection(principal, session, campaign_id)
    return await campaign_analytics.steps(
        session, selection, window, with_opportunities=include_opportunities_count
    )


@router.get(
    "/subsequences/analytics",
    operation_id="getSubsequenceAnalytics",
    tags=["CampaignSubsequence"],
    response_model=list[SubsequenceAnalytics],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": SUBSEQUENCE_NOTES},
)
async def get_subsequence_analytics(
    principal: Authorized,
    session: Session,
    campaign_id: Annotated[uuid.UUID, Query(description="The campaign whose subsequences to report")],
) -> list[SubsequenceAnalytics]:
    """Get subsequence analytics summary"""
    return await subsequence_analytics.per_subsequence(
        session, workspace_id=principal.workspace_id, campaign_id=campaign_id
    )


@router.get(
    "/subsequences/{id}/analytics/steps",
    operation_id="getSubsequenceStepsAnalytics",
    tags=["CampaignSubsequence", "Analytics"],
    response_model=list[StepAnalytics],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": SUBSEQUENCE_STEPS_NOTES},
)
async def get_subsequence_steps_analytics(
    id: uuid.UUID,
    principal: Authorized,
    session: Session,
    start_date: Annotated[str | None, Query(description="Inclusive start (UTC calendar date)")] = None,
    end_date: Annotated[str | None, Query(description="Inclusive end (UTC calendar date)")] = None,
) -> list[StepAnalytics]:
    """Get subsequence step and variant analytics"""
    return await subsequence_analytics.steps(
        session,
        workspace_id=principal.workspace_id,
        subsequence_id=id,
        window=dates.days(start_date, end_date),
    )


@router.get(
    "/accounts/analytics/daily",
    operation_id="getDailyAccountAnalytics",
    tags=["Account", "Analytics"],
    response_model=list[DailyAccountAnalytics],
    responses=doc(errors.BadRequest, errors.PayloadTooLarge),
    openapi_extra={"x-coldsend-notes": ACCOUNT_DAILY_NOTES},
)
async def get_daily_account_analytics(
    principal: Authorized,
    session: Session,
    start_date: Annotated[str | None, Query(description="Default: 30 days before end_date")] = None,
    end_date: Annotated[str | None, Query(description="Default: today (UTC)")] = None,
    emails: Annotated[list[str] | None, Query(description="Accounts to include (at most 200)")] = None,
) -> list[DailyAccountAnalytics]:
    """Get daily account analytics"""
    window = account_analytics.window(start_date, end_date, today=utcnow().date())
    return await account_analytics.daily(
        session,
        workspace_id=principal.workspace_id,
        emails=account_analytics.email_filter(emails),
        days=window,
    )


@router.post(
    "/accounts/warmup-analytics",
    operation_id="getWarmupAnalytics",
    tags=["Account", "Analytics"],
    response_model=WarmupAnalytics,
    responses=doc(errors.BadRequest),
    openapi_extra={"x-coldsend-notes": WARMUP_NOTES},
)
async def get_warmup_analytics(
    body: WarmupAnalyticsRequest, principal: Authorized, session: Session
) -> WarmupAnalytics:
    """Get warmup analytics"""
    return await account_analytics.warmup(
        session, workspace_id=principal.workspace_id, emails=body.emails, today=utcnow().date()
    )
