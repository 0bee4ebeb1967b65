import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from coldsend import errors
from coldsend.db.repository import get_in_workspace, keyset_page
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import comma_list
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.inbox_placement import analytics
from coldsend.inbox_placement.analytics_schemas import (
    AnalyticsFilters,
    DateStats,
    Insight,
    InsightsRequest,
    PlacementAnalytics,
    PlacementReport,
    StatsByDateRequest,
    StatsByTestRequest,
    TestStats,
)
from coldsend.models import PlacementCopy
from coldsend.models import PlacementReport as PlacementReportRow

router = APIRouter(tags=["InboxPlacementAnalytics"])
ANALYTICS = "/api/v2/inbox-placement-analytics"
REPORTS = "/api/v2/inbox-placement-reports"

ROW_NOTES = (
    "One row per copy: record_type 1 (sent) until the copy is found in its seed, then 2 (received) with "
    "is_spam, has_category (Gmail category labels, X-GM-EXT-1) and the SPF, DKIM and DMARC results of the "
    "seed's own Authentication-Results header. A copy never found stays record_type 1. Recipient ESP codes "
    "beyond the spec's: 101 Yahoo, 102 Zoho, 199 other."
)
STATS_NOTES = (
    "Percentages are of every copy (inbox includes category tabs); missing_count and missing_percent are "
    "Coldsend's: copies not found within COLDSEND_PLACEMENT_MISSING_MINUTES. Another workspace's test: 404."
)
REPORT_NOTES = (
    "One report per run and sending domain. The sending IP (from the received copy's Received chain) and "
    "the domain are checked against COLDSEND_PLACEMENT_IP_BLACKLISTS and _DOMAIN_BLACKLISTS; an answer in "
    "127.255.255.0/24 or a refusal is `checked: false` in blacklist_report.details, never listed. Spamhaus "
    "zones are queried only through COLDSEND_PLACEMENT_SPAMHAUS_DQS_KEY. spam_assassin_score is spamd's own; "
    "when spamd cannot be reached it is null and spam_assassin_report says it was not run."
)


def _date(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UTC).date().isoformat()


def _codes(name: str, value: str | None) -> list[Any] | None:
    parts = comma_list(value)
    if not parts:
        return None
    try:
        return [int(part) for part in parts]
    except ValueError:
        raise errors.BadRequest(f"querystring/{name} must be a comma-separated list of numbers") from None


def _row(copy: PlacementCopy, ip_reports: dict[tuple[uuid.UUID, str], object]) -> PlacementAnalytics:
    received = copy.record_type == 2
    report = ip_reports.get((copy.run_id, copy.smtp_ip or "")) if received else None
    return PlacementAnalytics.model_validate(
        {
            "id": copy.id,
            "timestamp_created": copy.timestamp_created,
            "timestamp_created_date": _date(copy.timestamp_created),
            "organization_id": copy.workspace_id,
            "test_id": copy.test_id,
            "is_spam": copy.is_spam if received else None,
            "has_category": copy.has_category if received else None,
            "sender_email": copy.sender_email,
            "sender_esp": copy.sender_esp,
            "recipient_email": copy.recipient_email,
            "recipient_esp": copy.recipient_esp,
            "recipient_geo": copy.recipient_geo,
            "recipient_type": copy.recipient_type,
            "spf_pass": copy.spf_pass if received else None,
            "dkim_pass": copy.dkim_pass if received else None,
            "dmarc_pass": copy.dmarc_pass if received else None,
            "smtp_ip_blacklist_report": report,
            "authentication_failure_results": copy.authentication_failure_results if received else None,
            "record_type": copy.record_type,
        }
    )


@router.get(
    ANALYTICS,
    operation_id="listInboxPlacementAnalytics",
    response_model=Page[PlacementAnalytics],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": ROW_NOTES},
)
async def list_inbox_placement_analytics(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    test_id: Annotated[uuid.UUID, Query()],
    date_from: Annotated[str | None, Query()] = None,
    date_to: Annotated[str | None, Query()] = None,
    recipient_geo: Annotated[str | None, Query()] = None,
    recipient_type: Annotated[str | None, Query()] = None,
    recipient_esp: Annotated[str | None, Query()] = None,
    sender_email: Annotated[str | None, Query()] = None,
) -> Page[PlacementAnalytics]:
    """List inbox placement analytics"""
    await analytics.owned_tests(session, principal.workspace_id, [test_id])
    filters = AnalyticsFilters.model_construct(
        date_from=date_from,
        date_to=date_to,
        recipient_geo=_codes("recipient_geo", recipient_geo),
        recipient_type=_codes("recipient_type", recipient_type),
        recipient_esp=_codes("recipient_esp", recipient_esp),
        sender_email=sender_email,
    )
    stmt = analytics.copies_query(principal.workspace_id, [test_id], filters)
    rows, more = await keyset_page(
        session, stmt, key=PlacementCopy.id, limit=cursor.limit, after=cursor.after_uuid()
    )
    reports = await analytics.ip_reports(session, rows)
    return Page(
        items=[_row(row, reports) for row in rows], next_starting_after=str(rows[-1].id) if more else None
    )


@router.post(
    f"{ANALYTICS}/stats-by-test-id",
    operation_id="getInboxPlacementAnalyticsStatsByTestId",
    response_model=list[TestStats],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": STATS_NOTES},
)
async def stats_by_test_id(
    body: StatsByTestRequest, principal: Authorized, session: Session
) -> list[TestStats]:
    """Retrieve inbox placement analytics stats by test id"""
    return await analytics.stats_by_test(session, principal.workspace_id, body.test_ids, body)


@router.post(
    f"{ANALYTICS}/deliverability-insights",
    operation_id="getInboxPlacementAnalyticsDeliverabilityInsights",
    response_model=list[Insight],
    response_model_by_alias=True,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": STATS_NOTES},
)
async def deliverability_insights(
    body: InsightsRequest, principal: Authorized, session: Session
) -> list[Insight]:
    """Retrieve inbox placement analytics deliverability insights"""
    return await analytics.insights(session, principal.workspace_id, body)


@router.post(
    f"{ANALYTICS}/stats-by-date",
    operation_id="getInboxPlacementAnalyticsStatsByDate",
    response_model=list[DateStats],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": STATS_NOTES},
)
async def stats_by_date(body: StatsByDateRequest, principal: Authorized, session: Session) -> list[DateStats]:
    """Get inbox placement analytics stats by date"""
    return await analytics.stats_by_date(session, principal.workspace_id, body.test_id, body)


@router.get(
    f"{ANALYTICS}/{{id}}",
    operation_id="getInboxPlacementAnalytics",
    response_model=PlacementAnalytics,
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": ROW_NOTES},
)
async def get_inbox_placement_analytics(
    id: uuid.UUID, principal: Authorized, session: Session
) -> PlacementAnalytics:
    """Get inbox placement analytics"""
    copy = await get_in_workspace(session, PlacementCopy, principal.workspace_id, id)
    if copy is None:
        raise errors.NotFound()
    return _row(copy, await analytics.ip_reports(session, [copy]))


def _report(row: PlacementReportRow, *, skip_spam_assassin: bool, skip_blacklist: bool) -> PlacementReport:
    return PlacementReport.model_validate(
        {
            "id": row.id,
            "timestamp_created": row.timestamp_created,
            "timestamp_created_date": _date(row.timestamp_created),
            "organization_id": row.workspace_id,
            "test_id": row.test_id,
            "domain_blacklist_count": row.domain_blacklist_count,
            "domain": row.domain,
            "domain_ip": row.domain_ip,
            "domain_ip_blacklist_count": row.domain_ip_blacklist_count,
            "spam_assassin_score": row.spam_assassin_score,
            "spam_assassin_report": None if skip_spam_assassin else row.spam_assassin_report,
            "blacklist_report": None if skip_blacklist else row.blacklist_report,
        }
    )


@router.get(
    REPORTS,
    operation_id="listInboxPlacementBlacklistAndSpamAssassinReport",
    response_model=Page[PlacementReport],
    tags=["InboxPlacementBlacklistAndSpamAssassinReport"],
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": REPORT_NOTES},
)
async def list_inbox_placement_reports(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    test_id: Annotated[uuid.UUID, Query()],
    date_from: Annotated[str | None, Query()] = None,
    date_to: Annotated[str | None, Query()] = None,
    skip_spam_assassin_report: Annotated[bool, Query()] = False,
    skip_blacklist_report: Annotated[bool, Query()] = False,
) -> Page[PlacementReport]:
    """List inbox placement blacklist and spamassassin report"""
    await analytics.owned_tests(session, principal.workspace_id, [test_id])
    start = analytics.parse_day("date_from", date_from)
    end = analytics.parse_day("date_to", date_to)
    stmt = select(PlacementReportRow).where(
        PlacementReportRow.workspace_id == principal.workspace_id, PlacementReportRow.test_id == test_id
    )
    if start is not None:
        stmt = stmt.where(
            PlacementReportRow.timestamp_created >= datetime.combine(start, datetime.min.time(), UTC)
        )
    if end is not None:
        stmt = stmt.where(PlacementReportRow.timestamp_created < analytics.bounds(None, end)[1])
    rows, more = await keyset_page(
        session, stmt, key=PlacementReportRow.id, limit=cursor.limit, after=cursor.after_uuid()
    )
    items = [
        _report(row, skip_spam_assassin=skip_spam_assassin_report, skip_blacklist=skip_blacklist_report)
        for row in rows
    ]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.get(
    f"{REPORTS}/{{id}}",
    operation_id="getInboxPlacementBlacklistAndSpamAssassinReport",
    response_model=PlacementReport,
    tags=["InboxPlacementBlacklistAndSpamAssassinReport"],
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": REPORT_NOTES},
)
async def get_inbox_placement_report(
    id: uuid.UUID, principal: Authorized, session: Session
) -> PlacementReport:
    """Get inbox placement blacklist and spamassassin report"""
    row = await get_in_workspace(session, PlacementReportRow, principal.workspace_id, id)
    if row is None:
        raise errors.NotFound()
    return _report(row, skip_spam_assassin=False, skip_blacklist=False)
