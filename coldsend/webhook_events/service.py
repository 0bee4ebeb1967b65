"""The delivery log: every attempt the dispatcher made, newest first, and its success counts."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics.dates import Instants
from coldsend.analytics.metrics import in_range, utc_day
from coldsend.errors import BadRequest
from coldsend.models import WebhookEvent
from coldsend.webhook_events.schemas import DaySummary, Summary

UNKNOWN_CURSOR = "querystring/starting_after must be the id of one of this workspace's webhook events"


def _filters(
    workspace_id: uuid.UUID, window: Instants, success: bool | None = None, search: str | None = None
) -> list[ColumnElement[bool]]:
    clauses = [WebhookEvent.workspace_id == workspace_id, *in_range(WebhookEvent.timestamp_created, window)]
    if success is not None:
        clauses.append(WebhookEvent.success.is_(success))
    if search is not None:
        clauses.append(
            or_(WebhookEvent.webhook_url == search, func.lower(WebhookEvent.lead_email) == search.lower())
        )
    return clauses


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    window: Instants,
    success: bool | None = None,
    search: str | None = None,
) -> tuple[Sequence[WebhookEvent], bool]:
    """Newest first (by `timestamp_created`, then id); the cursor is the last id shown."""
    stmt = select(WebhookEvent).where(*_filters(workspace_id, window, success, search))
    if after is not None:
        anchor = await session.scalar(
            select(WebhookEvent.timestamp_created).where(
                WebhookEvent.id == after, WebhookEvent.workspace_id == workspace_id
            )
        )
        if anchor is None:
            raise BadRequest(UNKNOWN_CURSOR)
        stmt = stmt.where(
            or_(
                WebhookEvent.timestamp_created < anchor,
                and_(WebhookEvent.timestamp_created == anchor, WebhookEvent.id < after),
            )
        )
    stmt = stmt.order_by(WebhookEvent.timestamp_created.desc(), WebhookEvent.id.desc()).limit(limit + 1)
    rows = (await session.scalars(stmt)).all()
    return rows[:limit], len(rows) > limit


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, event_id: uuid.UUID) -> WebhookEvent | None:
    event = await session.get(WebhookEvent, event_id)
    return event if event is not None and event.workspace_id == workspace_id else None


def _rates(total: int, successful: int) -> dict[str, Any]:
    """The counts and their shares in percent (0-100, two decimals; 0 of nothing)."""

    def share(part: int) -> float:
        return round(part * 100 / total, 2) if total else 0.0

    failed = total - successful
    return {
        "total_events": total,
        "successful_events": successful,
        "failed_events": failed,
        "success_rate": share(successful),
        "failure_rate": share(failed),
    }


_SUCCEEDED = func.sum(case((WebhookEvent.success.is_(True), 1), else_=0))


async def summary(session: AsyncSession, *, workspace_id: uuid.UUID, window: Instants) -> Summary:
    row = (
        await session.execute(select(func.count(), _SUCCEEDED).where(*_filters(workspace_id, window)))
    ).one()
    return Summary(**_rates(int(row[0] or 0), int(row[1] or 0)))


async def summary_by_date(
    session: AsyncSession, *, workspace_id: uuid.UUID, window: Instants
) -> list[DaySummary]:
    """Days with attempts only (UTC), oldest first."""
    day = utc_day(session, WebhookEvent.timestamp_created)
    rows = await session.execute(
        select(day, func.count(), _SUCCEEDED)
        .where(*_filters(workspace_id, window))
        .group_by(day)
        .order_by(day)
    )
    return [
        DaySummary(date=date.fromisoformat(str(when)), **_rates(int(total), int(succeeded or 0)))
        for when, total, succeeded in rows
    ]
