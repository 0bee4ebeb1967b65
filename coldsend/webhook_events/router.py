import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from coldsend import errors
from coldsend.analytics import dates
from coldsend.analytics.dates import Instants
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import WebhookEvent as WebhookEventRow
from coldsend.webhook_events import service as webhook_event_service
from coldsend.webhook_events.schemas import Summary, SummaryByDate, WebhookEvent

router = APIRouter(prefix="/api/v2/webhook-events", tags=["WebhookEvent"])

NOTES_KEY = "x-coldsend-notes"
WINDOW_NOTES = (
    "from/to: a date (that whole UTC day) or an ISO 8601 timestamp (up to that instant), both included."
)
LIST_NOTES = (
    "One row per delivery attempt, newest first; retry_group_id groups the attempts of one event (it is "
    "also the webhook-id header they were sent with). search is an exact webhook_url or lead email "
    "(case-insensitive). " + WINDOW_NOTES
)
SUMMARY_NOTES = "Counts delivery attempts; rates are percentages with two decimals. " + WINDOW_NOTES
BY_DATE_NOTES = (
    "Days with attempts only (UTC), oldest first; each day also carries failure_rate. " + WINDOW_NOTES
)

From = Annotated[
    str | None,
    Query(alias="from", description="Inclusive start of the window (YYYY-MM-DD, or an ISO 8601 timestamp)."),
]
To = Annotated[
    str | None,
    Query(alias="to", description="Inclusive end of the window (YYYY-MM-DD, or an ISO 8601 timestamp)."),
]


def _window(start: str | None, end: str | None) -> Instants:
    return dates.instants(start, end, names=("from", "to"))


def _shown(event: WebhookEventRow) -> WebhookEvent:
    return WebhookEvent(
        id=event.id,
        timestamp_created=event.timestamp_created,
        timestamp_created_date=event.timestamp_created.date(),
        organization_id=event.workspace_id,
        payload=event.payload,
        success=event.success,
        retry_count=event.retry_count,
        will_retry=event.will_retry,
        webhook_url=event.webhook_url,
        status_code=event.status_code,
        error_message=event.error_message,
        timestamp_next_retry=event.timestamp_next_retry,
        retry_group_id=event.delivery_id,
        retry_successful=event.retry_successful,
        lead_email=event.lead_email,
        response_time_ms=event.response_time_ms,
    )


@router.get(
    "",
    operation_id="listWebhookEvent",
    response_model=Page[WebhookEvent],
    responses=doc(errors.BadRequest),
    openapi_extra={NOTES_KEY: LIST_NOTES},
)
async def list_webhook_events(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    start: From = None,
    end: To = None,
    success: Annotated[bool | None, Query(description="Filter by success status")] = None,
    search: Annotated[
        str | None, Query(max_length=2048, description="Search by exact webhook URL or lead email match")
    ] = None,
) -> Page[WebhookEvent]:
    """List webhook event"""
    events, more = await webhook_event_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        window=_window(start, end),
        success=success,
        search=trimmed(search),
    )
    return Page(
        items=[_shown(event) for event in events],
        next_starting_after=str(events[-1].id) if more else None,
    )


@router.get(
    "/summary",
    operation_id="getWebhookEventsSummary",
    response_model=Summary,
    responses=doc(errors.BadRequest),
    openapi_extra={NOTES_KEY: SUMMARY_NOTES},
)
async def get_webhook_events_summary(
    principal: Authorized, session: Session, start: From = None, end: To = None
) -> Summary:
    """Get overview aggregates for webhook events"""
    return await webhook_event_service.summary(
        session, workspace_id=principal.workspace_id, window=_window(start, end)
    )


@router.get(
    "/summary-by-date",
    operation_id="getWebhookEventsSummaryByDate",
    response_model=SummaryByDate,
    responses=doc(errors.BadRequest),
    openapi_extra={NOTES_KEY: BY_DATE_NOTES},
)
async def get_webhook_events_summary_by_date(
    principal: Authorized, session: Session, start: From = None, end: To = None
) -> SummaryByDate:
    """Get overview aggregates for webhook events by date"""
    items = await webhook_event_service.summary_by_date(
        session, workspace_id=principal.workspace_id, window=_window(start, end)
    )
    return SummaryByDate(items=items)


@router.get(
    "/{id}", operation_id="getWebhookEvent", response_model=WebhookEvent, responses=doc(errors.NotFound)
)
async def get_webhook_event(id: uuid.UUID, principal: Authorized, session: Session) -> WebhookEvent:
    """Get webhook event"""
    event = await webhook_event_service.get(session, workspace_id=principal.workspace_id, event_id=id)
    if event is None:
        raise errors.NotFound()
    return _shown(event)
