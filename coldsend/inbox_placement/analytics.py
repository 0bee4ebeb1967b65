"""Inbox placement analytics: one row per copy, the test's reports, and the aggregates computed from the
rows (stats by test, by date, and sender ESP x recipient ESP insights against a previous period)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.errors import BadRequest, NotFound
from coldsend.inbox_placement.analytics_schemas import (
    AnalyticsFilters,
    DateStats,
    Insight,
    InsightsRequest,
    TestStats,
)
from coldsend.models import PlacementCopy, PlacementReport, PlacementTest, RecordType


def parse_day(name: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise BadRequest(f'{name} must match format "date" (YYYY-MM-DD)') from None


def bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(date_from, time(), UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), UTC) if date_to else None
    return start, end


async def owned_tests(session: AsyncSession, workspace_id: uuid.UUID, test_ids: Iterable[uuid.UUID]) -> None:
    """404 unless every test is the workspace's."""
    wanted = set(test_ids)
    found = set(
        await session.scalars(
            select(PlacementTest.id).where(
                PlacementTest.workspace_id == workspace_id, PlacementTest.id.in_(wanted)
            )
        )
    )
    if wanted - found:
        raise NotFound()


def copies_query(
    workspace_id: uuid.UUID, test_ids: Sequence[uuid.UUID], filters: AnalyticsFilters
) -> Select[tuple[PlacementCopy]]:
    start, end = bounds(parse_day("date_from", filters.date_from), parse_day("date_to", filters.date_to))
    stmt = select(PlacementCopy).where(
        PlacementCopy.workspace_id == workspace_id, PlacementCopy.test_id.in_(list(test_ids))
    )
    if start is not None:
        stmt = stmt.where(PlacementCopy.timestamp_created >= start)
    if end is not None:
        stmt = stmt.where(PlacementCopy.timestamp_created < end)
    if filters.recipient_geo:
        stmt = stmt.where(PlacementCopy.recipient_geo.in_(filters.recipient_geo))
    if filters.recipient_type:
        stmt = stmt.where(PlacementCopy.recipient_type.in_(filters.recipient_type))
    if filters.recipient_esp:
        stmt = stmt.where(PlacementCopy.recipient_esp.in_(filters.recipient_esp))
    if filters.sender_email:
        stmt = stmt.where(PlacementCopy.sender_email == filters.sender_email.strip().lower())
    return stmt


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


class Tally:
    """Counts of copies: all, received (found), in spam, in the inbox (category tabs included), in a
    category tab, missing (not found within the missing time)."""

    def __init__(self) -> None:
        self.count = self.received = self.spam = self.inbox = self.category = self.missing = 0

    def add(self, copy: PlacementCopy) -> None:
        self.count += 1
        if copy.record_type == RecordType.RECEIVED:
            self.received += 1
            if copy.is_spam:
                self.spam += 1
            else:
                self.inbox += 1
                self.category += int(bool(copy.has_category))
        elif copy.missing:
            self.missing += 1

    def percents(self) -> tuple[float, float, float]:
        """(inbox, spam, category) over every copy."""
        return (
            _percent(self.inbox, self.count),
            _percent(self.spam, self.count),
            _percent(self.category, self.count),
        )


def tally(copies: Iterable[PlacementCopy]) -> Tally:
    found = Tally()
    for copy in copies:
        found.add(copy)
    return found


async def stats_by_test(
    session: AsyncSession, workspace_id: uuid.UUID, test_ids: Sequence[uuid.UUID], filters: AnalyticsFilters
) -> list[TestStats]:
    await owned_tests(session, workspace_id, test_ids)
    by_test: dict[uuid.UUID, Tally] = {test_id: Tally() for test_id in test_ids}
    for copy in await session.scalars(copies_query(workspace_id, test_ids, filters)):
        by_test[copy.test_id].add(copy)
    stats = []
    for test_id, counts in by_test.items():
        inbox, spam, category = counts.percents()
        stats.append(
            TestStats(
                test_id=test_id,
                count=counts.count,
                spam_count=counts.spam,
                spam_percent=spam,
                inbox_count=counts.inbox,
                inbox_percent=inbox,
                category_count=counts.category,
                category_percent=category,
                missing_count=counts.missing,
                missing_percent=_percent(counts.missing, counts.count),
            )
        )
    return stats


async def stats_by_date(
    session: AsyncSession, workspace_id: uuid.UUID, test_id: uuid.UUID, filters: AnalyticsFilters
) -> list[DateStats]:
    await owned_tests(session, workspace_id, [test_id])
    by_day: dict[str, list[PlacementCopy]] = defaultdict(list)
    for copy in await session.scalars(copies_query(workspace_id, [test_id], filters)):
        by_day[_day(copy.timestamp_created)].append(copy)
    stats = []
    for day in sorted(by_day):
        counts = tally(by_day[day])
        stats.append(
            DateStats(
                timestamp_created_date=day,
                sent_count=sum(1 for copy in by_day[day] if copy.sent_at is not None),
                received_count=counts.received,
                spam_count=counts.spam,
                inbox_count=counts.inbox,
                category_count=counts.category,
                missing_count=counts.missing,
            )
        )
    return stats


def _day(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UTC).date().isoformat()


async def insights(session: AsyncSession, workspace_id: uuid.UUID, request: InsightsRequest) -> list[Insight]:
    """Placement per (sender ESP, recipient ESP) in the period, and in the previous one when asked: the
    given `previous_date_*`, else the period of the same length just before."""
    await owned_tests(session, workspace_id, [request.test_id])
    current = await _by_pair(session, workspace_id, request, request.date_from, request.date_to)
    previous: dict[tuple[int | None, int | None], Tally] = {}
    previous_from = previous_to = None
    if request.show_previous:
        previous_from, previous_to = _previous_period(request)
        if previous_from is not None or previous_to is not None:
            previous = await _by_pair(session, workspace_id, request, previous_from, previous_to)
    found = []
    for pair in sorted(set(current) | set(previous), key=lambda key: (key[0] or 0, key[1] or 0)):
        now_counts, before = current.get(pair), previous.get(pair)
        inbox, spam, category = (
            now_counts.percents() if now_counts and now_counts.count else (None, None, None)
        )
        prev = before.percents() if before and before.count else (None, None, None)
        found.append(
            Insight(
                test_id=request.test_id,
                **{"from": request.date_from, "to": request.date_to},
                previous_from=previous_from,
                previous_to=previous_to,
                sender_esp=pair[0],
                recipient_esp=pair[1],
                inbox_percentage=inbox,
                spam_percentage=spam,
                category_percentage=category,
                prev_inbox_percentage=prev[0],
                prev_spam_percentage=prev[1],
                prev_category_percentage=prev[2],
            )
        )
    return found


def _previous_period(request: InsightsRequest) -> tuple[str | None, str | None]:
    if request.previous_date_from or request.previous_date_to:
        return request.previous_date_from, request.previous_date_to
    start = parse_day("date_from", request.date_from)
    end = parse_day("date_to", request.date_to)
    if start is None or end is None:
        return None, None
    length = (end - start).days + 1
    return (start - timedelta(days=length)).isoformat(), (start - timedelta(days=1)).isoformat()


async def _by_pair(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    request: InsightsRequest,
    date_from: str | None,
    date_to: str | None,
) -> dict[tuple[int | None, int | None], Tally]:
    filters = AnalyticsFilters(
        date_from=date_from,
        date_to=date_to,
        recipient_geo=request.recipient_geo,
        recipient_type=request.recipient_type,
        recipient_esp=request.recipient_esp,
    )
    pairs: dict[tuple[int | None, int | None], Tally] = defaultdict(Tally)
    for copy in await session.scalars(copies_query(workspace_id, [request.test_id], filters)):
        pairs[(copy.sender_esp, copy.recipient_esp)].add(copy)
    return pairs


async def ip_reports(
    session: AsyncSession, copies: Sequence[PlacementCopy]
) -> dict[tuple[uuid.UUID, str], Any]:
    """The blacklist findings about each (run, sending IP) of received copies, from the run's reports."""
    runs = {copy.run_id for copy in copies if copy.smtp_ip}
    if not runs:
        return {}
    found: dict[tuple[uuid.UUID, str], Any] = {}
    for report in await session.scalars(select(PlacementReport).where(PlacementReport.run_id.in_(runs))):
        details = [
            detail
            for detail in (report.blacklist_report or {}).get("details", [])
            if detail.get("test_type") == "ip"
        ]
        listed = sum(1 for detail in details if detail.get("is_listed"))
        found[(report.run_id, report.domain_ip)] = {
            "ip": report.domain_ip,
            "is_blacklisted": listed > 0,
            "blacklisted_count": listed,
            "details": details,
        }
    return found


async def reports_of(
    session: AsyncSession, workspace_id: uuid.UUID, test_id: uuid.UUID, *, limit: int
) -> Sequence[PlacementReport]:
    """The test's blacklist and SpamAssassin reports, newest first."""
    return (
        await session.scalars(
            select(PlacementReport)
            .where(PlacementReport.workspace_id == workspace_id, PlacementReport.test_id == test_id)
            .order_by(PlacementReport.id.desc())
            .limit(limit)
        )
    ).all()
