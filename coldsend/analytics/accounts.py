"""Sending-account analytics: per day and account from the events, and warmup from its measurements."""

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics import metrics, tallies
from coldsend.analytics.dates import ORDER_MESSAGE, Days, parse_day
from coldsend.analytics.schemas import DailyAccountAnalytics, WarmupAggregate, WarmupAnalytics, WarmupDay
from coldsend.errors import BadRequest, PayloadTooLarge
from coldsend.models import Account
from coldsend.warmup import analytics as warmup_analytics

MAX_EMAILS = 200
MAX_DAYS = 31
DEFAULT_DAYS = 30
TOO_MANY_ACCOUNTS = (
    "Analytics request is too large for this workspace. Add an emails filter or request a smaller date range."
)
TOO_MANY_DAYS = f"Analytics request is too large: the date range is at most {MAX_DAYS} days."


def window(start_date: str | None, end_date: str | None, *, today: date) -> Days:
    """Defaults: up to today, 30 days back from the end; at most 31 days (413 beyond)."""
    end = parse_day("end_date", end_date) or today
    start = parse_day("start_date", start_date) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadRequest(ORDER_MESSAGE)
    if (end - start).days + 1 > MAX_DAYS:
        raise PayloadTooLarge(TOO_MANY_DAYS)
    return Days(start=start, end=end)


def email_filter(values: Sequence[str] | None) -> list[str] | None:
    """`emails=a&emails=b` (or comma-separated), lower-cased and de-duplicated; None when not given."""
    if values is None:
        return None
    if any("\x00" in value for value in values):
        raise BadRequest("querystring/emails must not contain NUL characters")
    emails = sorted({part.strip().lower() for value in values for part in value.split(",") if part.strip()})
    if not emails:
        raise BadRequest("querystring/emails must NOT have fewer than 1 items")
    if len(emails) > MAX_EMAILS:
        raise BadRequest(f"querystring/emails must NOT have more than {MAX_EMAILS} items")
    return emails


async def daily(
    session: AsyncSession, *, workspace_id: uuid.UUID, emails: list[str] | None, days: Days
) -> list[DailyAccountAnalytics]:
    """One entry per UTC day and account with any activity (subsequences included), by date then account."""
    if emails is None:
        accounts = await session.scalar(
            select(func.count()).select_from(Account).where(Account.workspace_id == workspace_id)
        )
        if (accounts or 0) > MAX_EMAILS:
            raise PayloadTooLarge(TOO_MANY_ACCOUNTS)
    whole = days.instants()
    found = await tallies.by_account_day(
        session,
        workspace_id=workspace_id,
        emails=emails,
        days=(whole.start.date() if whole.start else None, whole.end.date() if whole.end else None),
    )
    shown = []
    for (day, email), e in sorted(found.items()):
        shown.append(
            DailyAccountAnalytics(
                date=day, email_account=email, bounced=e["bounced"], **metrics.daily_fields(e)
            )
        )
    return shown


async def warmup(
    session: AsyncSession, *, workspace_id: uuid.UUID, emails: Sequence[str], today: date
) -> WarmupAnalytics:
    """The workspace's accounts among `emails` (others are left out), each with its warmup figures per
    day and over the window, and its health score once any of its warmup mail was found."""
    wanted = {email.strip().lower() for email in emails}
    accounts = list(
        await session.scalars(
            select(Account)
            .where(Account.workspace_id == workspace_id, func.lower(Account.email).in_(wanted))
            .order_by(Account.email)
        )
    )
    measured = await warmup_analytics.figures(session, accounts, today=today)
    email_date_data: dict[str, dict[str, WarmupDay]] = {}
    aggregate_data: dict[str, WarmupAggregate] = {}
    for account in accounts:
        figures = measured[account.id]
        email_date_data[account.email] = {
            day: WarmupDay(**asdict(counts)) for day, counts in sorted(figures.days.items())
        }
        score = figures.health_score
        aggregate_data[account.email] = WarmupAggregate(
            **asdict(figures.total),
            health_score=score,
            health_score_label=f"{score}%" if score is not None else None,
        )
    return WarmupAnalytics(email_date_data=email_date_data, aggregate_data=aggregate_data)
