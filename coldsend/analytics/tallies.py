"""Analytics read from the rollups (coldsend/models/analytics.py) when a range is whole UTC days; the
same numbers as counting the events (metrics.py), which a range with a time of day still does.

A lead counts once in a range of days when it has a day of the kind in it: its first day ever in it
(`firsts`), or a later day whose previous one came before the range (`analytics_span`).
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Date, Select, cast, func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics.dates import Instants
from coldsend.analytics.metrics import MESSAGE_ACTIVITY
from coldsend.models import (
    AnalyticsAccountDay,
    AnalyticsDay,
    AnalyticsLeadTally,
    AnalyticsSpan,
    AnalyticsStepDay,
)
from coldsend.models.analytics import NO_DAY, NO_INTEREST, NO_STEP
from coldsend.models.event import EventType

Counts = dict[str, int]
DayRange = tuple[date | None, date | None]  # start included, end excluded

# ENGAGEMENT's names: (kind, what of it) — the sum of counts, the rows, or distinct leads.
NAMES: dict[str, tuple[str, str]] = {
    "sent": (EventType.SENT, "total"),
    "contacted": (EventType.SENT, "leads"),
    "new_leads_contacted": ("new", "leads"),
    "opened": (EventType.OPENED, "total"),
    "opened_rows": (EventType.OPENED, "rows"),
    "opened_leads": (EventType.OPENED, "leads"),
    "replies": (EventType.REPLIED, "total"),
    "replies_rows": (EventType.REPLIED, "rows"),
    "replies_leads": (EventType.REPLIED, "leads"),
    "auto": (EventType.AUTO_REPLIED, "total"),
    "auto_rows": (EventType.AUTO_REPLIED, "rows"),
    "auto_leads": (EventType.AUTO_REPLIED, "leads"),
    "clicks": (EventType.CLICKED, "total"),
    "clicks_rows": (EventType.CLICKED, "rows"),
    "clicks_leads": (EventType.CLICKED, "leads"),
    "bounced": (EventType.BOUNCED, "rows"),
    "bounced_leads": (EventType.BOUNCED, "leads"),
    "hard_bounced_leads": ("bounced_hard", "leads"),
    "soft_bounced_leads": ("bounced_soft", "leads"),
    "complained_leads": (EventType.COMPLAINED, "leads"),
    "unsubscribed_leads": (EventType.UNSUBSCRIBED, "leads"),
}


def whole_days(window: Instants) -> DayRange | None:
    """The window as days, or None when a bound has a time of day (the events answer that)."""
    bounds: list[date | None] = []
    for bound in (window.start, window.end):
        if bound is not None and bound.timetz().replace(tzinfo=None) != time.min:
            return None
        bounds.append(bound.date() if isinstance(bound, datetime) else None)
    return bounds[0], bounds[1]


def _day(value: date) -> ColumnElement[date]:
    """A day bound written into the statement, not bound as a parameter. With parameters, PostgreSQL
    plans a statement it has run five times once for any range (a generic plan), guesses a range holds a
    few rows, and reads 90 days of rollups through an index: 3x slower than the scan it picks knowing the
    range (measured on the overview at a million leads)."""
    return literal(value, Date, literal_execute=True)


def _in(column: Any, days: DayRange) -> list[ColumnElement[bool]]:
    start, end = days
    return [
        *([column >= _day(start)] if start is not None else []),
        *([column < _day(end)] if end is not None else []),
    ]


# A kind's figures in a range: (total, rows, leads).
Figures = tuple[int, int, int]
_NONE: Figures = (0, 0, 0)
_PICKS = tuple(
    (name, kind, {"total": 0, "rows": 1, "leads": 2}[what]) for name, (kind, what) in NAMES.items()
)


def _named(by_kind: dict[str, Figures]) -> Counts:
    return {name: by_kind.get(kind, _NONE)[index] for name, kind, index in _PICKS}


def _sum(column: Any, only: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """A sum (of the rows `only` holds for, given) as a bigint: PostgreSQL's sum of bigints is a numeric,
    which asyncpg decodes into a Decimal, the most of reading ten thousand rollup rows (account daily
    analytics at a million leads)."""
    summed = func.sum(column) if only is None else func.sum(column).filter(only)
    return cast(summed, BigInteger)


async def _rows(session: AsyncSession, stmt: Select[Any]) -> Sequence[Any]:
    """A statement's rows as Core returns them, all at once: these are sums, no ORM entity to build."""
    return (await (await session.connection()).execute(stmt)).all()


Sequences = Callable[[Any], list[ColumnElement[bool]]]


async def engagement(
    session: AsyncSession, group: str | None, sequences: Sequences, days: DayRange
) -> dict[Any, Counts]:
    """ENGAGEMENT per value of the column named `group` (or in all, under None), over the sequences
    `sequences` picks (given the rollup model: AnalyticsDay or AnalyticsSpan), in `days`."""
    day_group = getattr(AnalyticsDay, group) if group is not None else literal_column("NULL")
    stmt = (
        select(
            day_group,
            AnalyticsDay.kind,
            _sum(AnalyticsDay.total),
            _sum(AnalyticsDay.row_count),
            _sum(AnalyticsDay.firsts),
        )
        .where(*sequences(AnalyticsDay), *_in(AnalyticsDay.day, days))
        .group_by(*([day_group] if group is not None else []), AnalyticsDay.kind)
    )
    found: dict[Any, dict[str, Figures]] = defaultdict(dict)
    for key, kind, total, rows, firsts in await _rows(session, stmt):
        found[key][kind] = (int(total or 0), int(rows or 0), int(firsts or 0))
    start = days[0]
    if start is not None:
        span_group = getattr(AnalyticsSpan, group) if group is not None else literal_column("NULL")
        spans = (
            select(span_group, AnalyticsSpan.kind, _sum(AnalyticsSpan.leads))
            .where(
                *sequences(AnalyticsSpan), *_in(AnalyticsSpan.day, days), AnalyticsSpan.prev_day < _day(start)
            )
            .group_by(*([span_group] if group is not None else []), AnalyticsSpan.kind)
        )
        for key, kind, leads in await _rows(session, spans):
            total, rows, firsts = found[key].get(kind, _NONE)
            found[key][kind] = (total, rows, firsts + int(leads or 0))
    return {key: _named(by_kind) for key, by_kind in found.items()}


# The campaigns of a selection: their ids, when the caller has them and they are few, else a subquery.
CampaignIds = Select[tuple[uuid.UUID]] | Sequence[uuid.UUID]


def main_sequences(campaign_ids: CampaignIds) -> Sequences:
    """The campaigns' own sequences (not their subsequences)."""
    return lambda model: [model.campaign_id.in_(campaign_ids), model.subsequence_id.is_(None)]


async def by_day(session: AsyncSession, campaign_ids: CampaignIds, days: DayRange) -> dict[str, Counts]:
    """ENGAGEMENT per day with message activity, over the campaigns' own sequences; a day's distinct
    leads are those of each campaign, added up."""
    rollup = AnalyticsDay
    stmt = _pivoted(
        (rollup.day,), rollup.kind, (rollup.total, rollup.row_count, rollup.leads), MESSAGE_ACTIVITY
    ).where(*main_sequences(campaign_ids)(rollup), *_in(rollup.day, days))
    return _active_days(await _rows(session, stmt))


def _pivoted(
    keys: tuple[Any, ...], kind: Any, figures: tuple[Any, Any, Any], active: tuple[str, ...]
) -> Select[Any]:
    """One row per value of `keys` with a row of an `active` kind, ENGAGEMENT's figures in NAMES's
    order as its columns. The database pivots: grouping by kind too returned seven times the rows,
    and turning those into dicts was most of account daily analytics' time at a million leads."""
    columns = [_sum(figures[index], kind == one) for _, one, index in _PICKS]
    return select(*keys, *columns).group_by(*keys).having(func.sum(figures[1]).filter(kind.in_(active)) > 0)


def _active_days(rows: Any) -> dict[Any, Counts]:
    """`_pivoted`'s rows by their keys (a day as ISO text, a single key alone)."""
    shown = {}
    width = len(_PICKS)
    for row in rows:
        key = tuple(one.isoformat() if isinstance(one, date) else one for one in row[:-width])
        figures = (int(value or 0) for value in row[-width:])
        shown[key[0] if len(key) == 1 else key] = dict(zip(NAMES, figures, strict=True))
    return shown


async def by_account_day(
    session: AsyncSession, *, workspace_id: uuid.UUID, emails: list[str] | None, days: DayRange
) -> dict[tuple[str, str], Counts]:
    """ENGAGEMENT per (day, account) with message activity or a bounce."""
    rollup = AnalyticsAccountDay
    stmt = _pivoted(
        (rollup.day, rollup.account_email),
        rollup.kind,
        (rollup.total, rollup.row_count, rollup.leads),
        (*MESSAGE_ACTIVITY, EventType.BOUNCED),
    ).where(
        rollup.workspace_id == workspace_id,
        *([rollup.account_email.in_(emails)] if emails is not None else []),
        *_in(rollup.day, days),
    )
    return _active_days(await _rows(session, stmt))


async def by_step(
    session: AsyncSession, where: list[ColumnElement[bool]], days: DayRange
) -> dict[tuple[int | None, int | None], Counts]:
    """ENGAGEMENT's sums and rows per (step, variant) with message activity (`where` on AnalyticsStepDay)."""
    rollup = AnalyticsStepDay
    stmt = _pivoted(
        (rollup.step, rollup.variant),
        rollup.kind,
        (rollup.total, rollup.row_count, rollup.row_count),
        MESSAGE_ACTIVITY,
    ).where(*where, rollup.kind.in_(MESSAGE_ACTIVITY), *_in(rollup.day, days))
    return _active_days(await _rows(session, stmt))


async def lead_tally(
    session: AsyncSession, campaign_ids: CampaignIds
) -> list[tuple[uuid.UUID, int, int | None, date | None, int | None, int | None, int]]:
    """The campaigns' leads: (campaign, status, interest, day of change, replied step, variant, count)."""
    tally = AnalyticsLeadTally
    key = (
        tally.campaign_id,
        tally.status,
        tally.interest,
        tally.change_day,
        tally.replied_step,
        tally.replied_variant,
    )
    stmt = (
        select(*key, _sum(tally.leads))
        .where(tally.campaign_id.in_(campaign_ids))
        .group_by(*key)  # a key's stripes
        .having(func.sum(tally.leads) != 0)
    )
    return [
        (
            campaign,
            status,
            None if interest == NO_INTEREST else interest,
            None if change == NO_DAY else change,
            None if step == NO_STEP else step,
            None if variant == NO_STEP else variant,
            int(leads),
        )
        for campaign, status, interest, change, step, variant, leads in await session.execute(stmt)
    ]


def changed_in(change: date | None, days: DayRange | None) -> bool:
    """A lead's last interest change is in range (any, when no range is given, even none)."""
    if days is None or days == (None, None):
        return True
    if change is None:
        return False
    start, end = days
    return (start is None or change >= start) and (end is None or change < end)


async def sent_by_variant(
    session: AsyncSession, sequence_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[tuple[int, int], int]]:
    """Sends each sequence has made so far per (step, variant), off its rollup rows (a few per day) instead
    of its sends (millions in a big campaign): what the scheduler balances its variants by."""
    stmt = (
        select(
            AnalyticsStepDay.sequence_id,
            AnalyticsStepDay.step,
            AnalyticsStepDay.variant,
            _sum(AnalyticsStepDay.row_count),
        )
        .where(AnalyticsStepDay.sequence_id.in_(sequence_ids), AnalyticsStepDay.kind == EventType.SENT)
        .group_by(AnalyticsStepDay.sequence_id, AnalyticsStepDay.step, AnalyticsStepDay.variant)
    )
    counts: dict[uuid.UUID, dict[tuple[int, int], int]] = {sequence_id: {} for sequence_id in sequence_ids}
    for sequence_id, step, variant, count in (await session.execute(stmt)).tuples():
        counts[sequence_id][(step, variant)] = int(count)
    return counts
