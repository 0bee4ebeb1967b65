"""Aggregates over `event` rows, the one source every analytics operation counts from.

An event row is one (type, sequence, lead, step) and its `count` says how often it happened, so:
`total` sums `count` (every open, every click), `rows` counts rows (once per lead and step) and `leads`
counts distinct leads (once per lead, whatever the step).
"""

from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, literal_column, or_
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics.dates import Instants
from coldsend.mail.failures import Severity
from coldsend.models import Event
from coldsend.models.event import EventType

FIRST_STEP = 0  # steps are zero-based, as the spec's step analytics say


def total(kind: str) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((Event.type == kind, Event.count), else_=0)), 0)


def rows(kind: str) -> ColumnElement[int]:
    return func.count(case((Event.type == kind, 1)))


def leads(kind: str, *conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(distinct(case((and_(Event.type == kind, *conditions), Event.lead_id))))


def bounced_leads(severity: Severity) -> ColumnElement[int]:
    """Leads that bounced `severity`: a hard bounce stops a lead at once (older bounce events, from before
    bounces had a severity, count as hard); a soft one counts whether the step went through on a later
    try or the lead stopped after the last one."""
    if severity is Severity.HARD:
        return leads(EventType.BOUNCED, or_(Event.severity.is_(None), Event.severity == Severity.HARD))
    soft = or_(
        Event.type == EventType.SOFT_BOUNCED,
        and_(Event.type == EventType.BOUNCED, Event.severity == Severity.SOFT),
    )
    return func.count(distinct(case((soft, Event.lead_id))))


def new_leads() -> ColumnElement[int]:
    """Leads whose campaign's first step went out (in the range): contacted for the first time.

    A subsequence's first step goes to a lead its campaign contacted already.
    """
    return leads(EventType.SENT, Event.step == FIRST_STEP, Event.subsequence_id.is_(None))


# What daily and per-step figures report: no row for a day or step that only saw bounces or unsubscribes.
MESSAGE_ACTIVITY = (
    EventType.SENT,
    EventType.OPENED,
    EventType.CLICKED,
    EventType.REPLIED,
    EventType.AUTO_REPLIED,
)


# What each operation reports, by the name the metric has in `select()`s below.
ENGAGEMENT: dict[str, ColumnElement[int]] = {
    "sent": total(EventType.SENT),
    "contacted": leads(EventType.SENT),
    "new_leads_contacted": new_leads(),
    "opened": total(EventType.OPENED),
    "opened_rows": rows(EventType.OPENED),
    "opened_leads": leads(EventType.OPENED),
    "replies": total(EventType.REPLIED),
    "replies_rows": rows(EventType.REPLIED),
    "replies_leads": leads(EventType.REPLIED),
    "auto": total(EventType.AUTO_REPLIED),
    "auto_rows": rows(EventType.AUTO_REPLIED),
    "auto_leads": leads(EventType.AUTO_REPLIED),
    "clicks": total(EventType.CLICKED),
    "clicks_rows": rows(EventType.CLICKED),
    "clicks_leads": leads(EventType.CLICKED),
    "bounced": rows(EventType.BOUNCED),
    "bounced_leads": leads(EventType.BOUNCED),
    "hard_bounced_leads": bounced_leads(Severity.HARD),
    "soft_bounced_leads": bounced_leads(Severity.SOFT),
    "complained_leads": leads(EventType.COMPLAINED),
    "unsubscribed_leads": leads(EventType.UNSUBSCRIBED),
}
ZERO = dict.fromkeys(ENGAGEMENT, 0)


def labelled() -> list[Any]:
    return [expression.label(name) for name, expression in ENGAGEMENT.items()]


def in_range(column: Any, window: Instants) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if window.start is not None:
        clauses.append(column >= window.start)
    if window.end is not None:
        clauses.append(column < window.end)
    return clauses


def utc_day(session: AsyncSession, column: Any) -> ColumnElement[str]:
    """`YYYY-MM-DD` of a timestamp column, in UTC, on either backend."""
    # Literals, not bound parameters: PostgreSQL must see the GROUP BY expression equal the selected one.
    if session.bind.dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM-DD'"))
    return func.strftime(literal_column("'%Y-%m-%d'"), column)


def as_ints(mapping: Any) -> dict[str, int]:
    return {name: int(mapping[name] or 0) for name in ENGAGEMENT}


def daily_fields(counts: dict[str, int]) -> dict[str, int]:
    """The counters a day of account and of campaign analytics share, under the spec's names."""
    return {
        "sent": counts["sent"],
        "contacted": counts["contacted"],
        "new_leads_contacted": counts["new_leads_contacted"],
        "opened": counts["opened"],
        "unique_opened": counts["opened_leads"],
        "replies": counts["replies"],
        "unique_replies": counts["replies_leads"],
        "replies_automatic": counts["auto"],
        "unique_replies_automatic": counts["auto_leads"],
        "clicks": counts["clicks"],
        "unique_clicks": counts["clicks_leads"],
    }
