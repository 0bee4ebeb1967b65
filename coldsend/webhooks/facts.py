"""The outbox: what webhooks may be owed, written in the transaction of the change that caused it.

A fact is written only while its workspace has an active webhook, so a workspace without webhooks
pays one indexed lookup per batch and nothing else. The dispatcher turns facts into deliveries
(`fanout.py`); a change that rolls back takes its facts with it, and a committed one cannot lose them.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, bindparam, func, insert, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.ids import new_id
from coldsend.models import Event, EventType, InterestStatus, Lead, Webhook, WebhookFact, WebhookStatus

# The webhook event (subscription name) of each engine event.
EVENT_TYPES = {
    EventType.SENT: "email_sent",
    EventType.OPENED: "email_opened",
    EventType.CLICKED: "email_link_clicked",
    EventType.REPLIED: "reply_received",
    EventType.AUTO_REPLIED: "auto_reply_received",
    EventType.BOUNCED: "email_bounced",
    EventType.UNSUBSCRIBED: "lead_unsubscribed",
}
# The webhook event of each built-in interest status; None (no status) is a lead marked neutral.
INTEREST_TYPES: dict[int | None, str] = {
    None: "lead_neutral",
    InterestStatus.INTERESTED: "lead_interested",
    InterestStatus.NOT_INTERESTED: "lead_not_interested",
    InterestStatus.MEETING_BOOKED: "lead_meeting_booked",
    InterestStatus.MEETING_COMPLETED: "lead_meeting_completed",
    InterestStatus.WON: "lead_closed",
    InterestStatus.OUT_OF_OFFICE: "lead_out_of_office",
    InterestStatus.WRONG_PERSON: "lead_wrong_person",
    InterestStatus.NO_SHOW: "lead_no_show",
}
CUSTOM_LABEL = "custom_label"  # a workspace's own lead label; the fact's interest_value says which


# Built once. `listened_to` asks the same of an event's workspace inside the event's INSERT.
_LISTENING = (
    select(Webhook.workspace_id)
    .where(
        Webhook.workspace_id.in_(bindparam("workspace_ids", expanding=True)),
        Webhook.status == WebhookStatus.ACTIVE,
    )
    .distinct()
)


async def listening(session: AsyncSession, workspace_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The workspaces among these with at least one active webhook."""
    wanted = set(workspace_ids)
    if not wanted:
        return set()
    found = await (await session.connection()).scalars(_LISTENING, {"workspace_ids": list(wanted)})
    return set(found)


def listened_to(table: str) -> ColumnElement[bool]:
    """SQL for a RETURNING clause of a write to `table`: the written row's workspace has an active webhook.
    The event writer gets it with the rows it writes, rather than asking in a statement of its own. (As
    text: SQLAlchemy neither correlates a subquery of RETURNING with the written table nor, on SQLite,
    qualifies its columns.)"""
    active = int(WebhookStatus.ACTIVE)
    return literal_column(
        f"EXISTS (SELECT 1 FROM webhook WHERE webhook.workspace_id = {table}.workspace_id "
        f"AND webhook.status = {active})",
        Boolean,
    )


async def record_events(
    session: AsyncSession,
    rows: Sequence[dict[str, Any]],
    workspaces: set[uuid.UUID],
    *,
    detail: dict[str, Any] | None = None,
) -> None:
    """Facts for event rows just written or counted again (`events.record` passes exactly those) in
    `workspaces` (those `listened_to`), each with `is_first`: whether it is the lead's first event of
    its type, at any step."""
    rows = [row for row in rows if row["type"] in EVENT_TYPES and row["workspace_id"] in workspaces]
    if not rows:
        return
    keys = {(row["lead_id"], row["type"]) for row in rows if row["lead_id"] is not None}
    seen: dict[tuple[uuid.UUID, str], int] = {}
    if keys:
        counted = await session.execute(
            select(Event.lead_id, Event.type, func.sum(Event.count))
            .where(tuple_(Event.lead_id, Event.type).in_(list(keys)))
            .group_by(Event.lead_id, Event.type)
        )
        seen = {(lead_id, kind): int(total) for lead_id, kind, total in counted.tuples() if lead_id}
    facts = [
        _fact(
            row["workspace_id"],
            EVENT_TYPES[row["type"]],
            row["timestamp"],
            campaign_id=row["campaign_id"],
            lead_id=row["lead_id"],
            email_id=row["email_id"],
            reply_email_id=(detail or {}).get("reply_email_id"),
            account_email=row["account_email"],
            step=row["step"],
            variant=row["variant"],
            is_first=seen.get((row["lead_id"], row["type"]), 1) <= 1,
            detail=_event_detail(row, detail),
        )
        for row in rows
    ]
    await _write(session, facts)


def _event_detail(row: dict[str, Any], detail: dict[str, Any] | None) -> dict[str, Any] | None:
    extra = {key: value for key, value in (detail or {}).items() if key != "reply_email_id"}
    if row["type"] == EventType.BOUNCED:
        extra |= {"bounce_type": row.get("severity") or "hard", "bounce_reason": row.get("detail")}
    return {key: str(value) for key, value in extra.items() if value is not None} or None


async def record_fact(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    event_type: str,
    *,
    timestamp: datetime,
    campaign_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
    account_email: str | None = None,
    interest_value: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """A fact that is no engine event: a campaign completed, an account error, an interest change."""
    if workspace_id not in await listening(session, [workspace_id]):
        return
    fact = _fact(
        workspace_id,
        event_type,
        timestamp,
        campaign_id=campaign_id,
        lead_id=lead_id,
        account_email=account_email,
        interest_value=interest_value,
        detail=detail,
    )
    await _write(session, [fact])


def interest_event_type(value: int | None) -> str | None:
    """The webhook event of an interest status: a built-in one's, or a custom label's (None for LOST,
    which has no event in Instantly's list)."""
    if value is None or value in INTEREST_TYPES:
        return INTEREST_TYPES[value]
    return None if value in set(InterestStatus) else CUSTOM_LABEL


async def record_interest(
    session: AsyncSession, leads: Sequence[Lead], value: int | None, now: datetime
) -> None:
    """Leads (of one workspace) whose interest status became `value`."""
    event_type = interest_event_type(value)
    if (
        event_type is None
        or not leads
        or leads[0].workspace_id not in await listening(session, [leads[0].workspace_id])
    ):
        return
    facts = [
        _fact(
            lead.workspace_id,
            event_type,
            now,
            campaign_id=lead.campaign_id,
            lead_id=lead.id,
            interest_value=value,
        )
        for lead in leads
    ]
    await _write(session, facts)


_OPTIONAL = (
    "campaign_id", "lead_id", "email_id", "reply_email_id", "account_email", "step", "variant", "is_first",
    "interest_value", "detail",
)  # fmt: skip


def _fact(workspace_id: uuid.UUID, event_type: str, timestamp: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "event_type": event_type,
        "timestamp": timestamp,
        **dict.fromkeys(_OPTIONAL),
        **fields,
    }


async def _write(session: AsyncSession, facts: list[dict[str, Any]]) -> None:
    await session.execute(insert(WebhookFact), [{"id": new_id(), **fact} for fact in facts])
