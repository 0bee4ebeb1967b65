"""The one way an Event row is written: at most one per (type, sequence, lead, step) of a send, a repeat
bumps its count."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.upsert import conflict_insert
from coldsend.ids import new_id
from coldsend.models import Email, Event
from coldsend.webhooks import facts

KEY = ["type", "sequence_id", "lead_id", "step"]
_EVENTS = cast(Table, Event.__table__)


class SendStep(Protocol):
    """The step of a send that an event is about: a `Send`, or the few columns of one that tracking reads."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def workspace_id(self) -> uuid.UUID: ...
    @property
    def campaign_id(self) -> uuid.UUID: ...
    @property
    def subsequence_id(self) -> uuid.UUID | None: ...
    @property
    def sequence_id(self) -> uuid.UUID: ...
    @property
    def lead_id(self) -> uuid.UUID: ...
    @property
    def step(self) -> int: ...
    @property
    def variant(self) -> int: ...
    @property
    def account_email(self) -> str: ...


# Built once: a statement built per call costs its construction and its cache key each time, a fifth of
# a tracked open's CPU. `counted_before` is bound per row (the same for all rows of a call).
_RETURNED = [
    *(_EVENTS.c[name] for name in (*KEY, "count")),
    facts.listened_to(_EVENTS.name).label("listened_to"),
]
_WRITE = conflict_insert(_EVENTS).bump_on_conflict(KEY, "count").returning(*_RETURNED)
_WRITE_COUNTED = (
    conflict_insert(_EVENTS)
    .bump_on_conflict(
        KEY,
        "count",
        stamp="timestamp_counted",
        where=func.coalesce(_EVENTS.c.timestamp_counted, _EVENTS.c.timestamp) <= bindparam("counted_before"),
    )
    .returning(*_RETURNED)
)
_EMAIL_OF_SEND = select(Email.id).where(Email.send_id == bindparam("send_id")).limit(1)


def event_row(
    send: SendStep,
    event_type: str,
    *,
    timestamp: datetime,
    email_id: Any = None,
    account_email: str | None = None,
    detail: str | None = None,
    severity: str | None = None,
    counted: bool = False,
) -> dict[str, Any]:
    """The event of `send`'s step; `counted` stamps timestamp_counted (opens and clicks)."""
    return {
        "id": new_id(),
        "workspace_id": send.workspace_id,
        "type": event_type,
        "campaign_id": send.campaign_id,
        "subsequence_id": send.subsequence_id,
        "sequence_id": send.sequence_id,
        "lead_id": send.lead_id,
        "step": send.step,
        "variant": send.variant,
        "account_email": account_email if account_email is not None else send.account_email,
        "email_id": email_id,
        "count": 1,
        "detail": detail,
        "severity": severity,
        "timestamp": timestamp,
        "timestamp_counted": timestamp if counted else None,
    }


async def record(
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
    *,
    counted_before: datetime | None = None,
    webhook_detail: dict[str, Any] | None = None,
) -> list[int]:
    """Writes the event rows; one whose event exists bumps that one's count instead, and, given
    `counted_before`, only when its last count is no later than that (stamping timestamp_counted).
    The counts of the rows written or bumped. Each of those is also a fact for the workspace's webhooks
    (`webhook_detail` adds to their payload), in this transaction."""
    if not rows:
        return []
    # On the table and the session's connection, not the entity: the ORM's bulk-insert path cost a fifth
    # of a tracked open's CPU.
    connection = await session.connection()
    # Whether each row's workspace has a webhook comes back with it: a statement of its own would be a
    # round trip more, the rows' triggers holding rollup rows (a campaign's day of opens, say) that
    # every writer of such an event waits for until this transaction commits.
    if counted_before is None:
        returned = (await connection.execute(_WRITE, list(rows))).tuples().all()
    else:
        counted = [{**row, "counted_before": counted_before} for row in rows]
        returned = (await connection.execute(_WRITE_COUNTED, counted)).tuples().all()
    by_key = {_key(row): row for row in rows}
    written = [by_key[(kind, sequence, lead, step)] for kind, sequence, lead, step, *_ in returned]
    listening = {row["workspace_id"] for row, (*_, heard) in zip(written, returned, strict=True) if heard}
    await facts.record_events(session, written, listening, detail=webhook_detail)
    return [count for *_, count, _heard in returned]


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in KEY)


async def email_of(session: AsyncSession, send_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the Email row of a send (None before it is sent, or once the email is gone)."""
    email_id: uuid.UUID | None = await (await session.connection()).scalar(
        _EMAIL_OF_SEND, {"send_id": send_id}
    )
    return email_id


async def record_event(
    session: AsyncSession,
    send: SendStep,
    event_type: str,
    *,
    now: datetime,
    detail: str | None = None,
    webhook_detail: dict[str, Any] | None = None,
) -> bool:
    """One event of `send`'s step, tied to its Email row; True if it is new (not a repeat)."""
    email_id = await email_of(session, send.id)
    row = event_row(send, event_type, timestamp=now, email_id=email_id, detail=detail)
    return await record(session, [row], webhook_detail=webhook_detail) == [1]


async def of_lead(
    session: AsyncSession, *, workspace_id: uuid.UUID, lead_id: uuid.UUID, limit: int = 200
) -> Sequence[Event]:
    """A lead's events, newest first: its activity as the dashboard shows it."""
    stmt = (
        select(Event)
        .where(Event.workspace_id == workspace_id, Event.lead_id == lead_id)
        .order_by(Event.timestamp.desc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()
