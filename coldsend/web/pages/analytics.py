"""Analytics: the overview numbers and daily charts of campaigns and accounts over a chosen range, from
the very functions the API's analytics operations answer with."""

import uuid
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from coldsend.analytics import accounts as account_analytics
from coldsend.analytics import campaigns as campaign_analytics
from coldsend.analytics import dates
from coldsend.campaigns import service as campaign_service
from coldsend.clock import utcnow
from coldsend.errors import BadRequest
from coldsend.web.charts import days_between, line_chart, series_by_day
from coldsend.web.context import CurrentMember, Db, show

router = APIRouter(prefix="/analytics")

DEFAULT_DAYS = 14
CAMPAIGN_METRICS: tuple[tuple[str, str], ...] = (
    ("sent", "Sent"),
    ("unique_opened", "Opened"),
    ("unique_clicks", "Clicked"),
)
CAMPAIGN_METRICS += (("unique_replies", "Replied"), ("opportunities", "Opportunities"))
ACCOUNT_METRICS: tuple[tuple[str, str], ...] = (
    ("sent", "Sent"),
    ("unique_opened", "Opened"),
    ("unique_clicks", "Clicked"),
)
ACCOUNT_METRICS += (("unique_replies", "Replied"), ("bounced", "Bounced"))


@router.get("")
async def analytics(
    member: CurrentMember, db: Db, start_date: str = "", end_date: str = "", campaign: str = ""
) -> HTMLResponse:
    member.require("getDailyCampaignAnalytics")
    workspace_id = member.principal.workspace_id
    today = utcnow().date()
    end = dates.parse_day("end_date", end_date or None) or today
    start = dates.parse_day("start_date", start_date or None) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadRequest(dates.ORDER_MESSAGE)
    try:
        campaign_id = uuid.UUID(campaign) if campaign else None
    except ValueError:
        raise BadRequest('querystring/campaign must match format "uuid"') from None
    if campaign_id is not None:
        await campaign_analytics.check_ids(db, workspace_id=workspace_id, ids=[campaign_id])
    selection = campaign_analytics.Selection(
        workspace_id=workspace_id, ids=(campaign_id,) if campaign_id else None
    )
    window = dates.instants(start.isoformat(), end.isoformat())
    overview = await campaign_analytics.overview(db, selection, window)
    daily = await campaign_analytics.daily(db, selection, window)
    days = days_between(start, end)
    campaign_series = series_by_day([row.model_dump() for row in daily], days, CAMPAIGN_METRICS)
    account_rows = []
    if campaign_id is None and member.can("getDailyAccountAnalytics"):
        account_window = account_analytics.window(start.isoformat(), end.isoformat(), today=today)
        found = await account_analytics.daily(db, workspace_id=workspace_id, emails=None, days=account_window)
        account_rows = [row.model_dump() for row in found]
    account_series = series_by_day(account_rows, days, ACCOUNT_METRICS)
    campaigns, _ = await campaign_service.list_page(
        db, workspace_id=workspace_id, filters=campaign_service.Filters(), limit=500, after=None
    )
    return await show(
        db,
        member,
        "analytics.html",
        section="analytics",
        overview=overview,
        campaign_chart=Markup(line_chart("Campaigns per day", days, campaign_series)),
        account_chart=Markup(line_chart("Sending accounts per day", days, account_series)),
        campaign_series=campaign_series,
        account_series=account_series,
        days=days,
        start=start.isoformat(),
        end=end.isoformat(),
        campaigns=campaigns,
        campaign=campaign,
        with_accounts=campaign_id is None,
    )
