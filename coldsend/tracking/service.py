"""What opens, clicks and unsubscribes do to events, leads and pending sends.

Opens and clicks come at the rate mail is read, so each is a few statements built once, on the session's
connection: the send with its email's id, the event, the lead's counters (with whether its campaign has a
subsequence to enter), and the webhooks' outbox.
"""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, Update, Uuid, bindparam, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import events
from coldsend.addresses import email_key
from coldsend.block_list_entries import service as block_list_service
from coldsend.events import SendStep, event_row
from coldsend.leads.lifecycle import stop_lead
from coldsend.models import Email, EventType, Lead, LeadStatus, Send, Workspace
from coldsend.subsequences import triggers

_SENDS = cast(Table, Send.__table__)
_LEADS = cast(Table, Lead.__table__)


@dataclass(frozen=True, slots=True)
class TrackedSend:
    """The send a tracking link names: the columns its events take (an `events.SendStep`), and the id of
    its email."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    campaign_id: uuid.UUID
    subsequence_id: uuid.UUID | None
    sequence_id: uuid.UUID
    lead_id: uuid.UUID
    step: int
    variant: int
    account_email: str
    email_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class _CountedLead:
    """A lead whose open or click was just counted (a `triggers.LeadPlace`)."""

    id: uuid.UUID
    campaign_id: uuid.UUID | None
    subsequence_id: uuid.UUID | None
    status: int
    has_subsequence: bool


_EMAIL_ID = select(Email.id).where(Email.send_id == _SENDS.c.id).limit(1).scalar_subquery()
_TRACKED_SEND = select(
    *(_SENDS.c[field.name] for field in fields(TrackedSend) if field.name != "email_id"), _EMAIL_ID
).where(_SENDS.c.id == bindparam("send_id"))


def _counted(count: str, last: str, step: str, variant: str) -> Update:
    """The UPDATE of a lead's counters for one open or click, returning where the lead stands."""
    return (
        update(_LEADS)
        .where(_LEADS.c.id == bindparam("lead_id"))
        .values(
            {
                count: _LEADS.c[count] + 1,
                last: bindparam("at"),
                step: bindparam("at_step"),
                variant: bindparam("at_variant"),
            }
        )
        .returning(
            _LEADS.c.id,
            _LEADS.c.campaign_id,
            _LEADS.c.subsequence_id,
            _LEADS.c.status,
            # Qualified by hand: SQLite's RETURNING renders columns bare, and a bare campaign_id would
            # mean a column of the subquery's own table if it ever had one.
            triggers.has_active_subsequence(literal_column("lead.campaign_id", Uuid)),
        )
    )


_OPENED = _counted("email_open_count", "timestamp_last_open", "email_opened_step", "email_opened_variant")
_CLICKED = _counted(
    "email_click_count", "timestamp_last_click", "email_clicked_step", "email_clicked_variant"
)
# The address an unsubscribe blocks: the lead's, unless its workspace's add_unsub_to_block is false.
_ADDRESS_TO_BLOCK = select(Lead.email).where(
    Lead.id == bindparam("lead_id"),
    select(Workspace.id)
    .where(Workspace.id == bindparam("workspace_id"), Workspace.add_unsub_to_block.is_not(False))
    .exists(),
)


async def get_send(session: AsyncSession, send_id: uuid.UUID) -> TrackedSend | None:
    row = (await (await session.connection()).execute(_TRACKED_SEND, {"send_id": send_id})).one_or_none()
    return None if row is None else TrackedSend(*row)


async def get_lead(session: AsyncSession, send: SendStep) -> Lead | None:
    lead: Lead | None = await session.get(Lead, send.lead_id)
    return lead


async def record_activity(
    session: AsyncSession,
    send: TrackedSend,
    event_type: str,
    *,
    now: datetime,
    repeat_after: timedelta,
    detail: str | None = None,
) -> bool:
    """An open or click: the first one makes the event (a unique open or click), a repeat bumps its count
    only if the last counted one is at least `repeat_after` old, so replaying a link cannot inflate the
    numbers. True if it counted."""
    row = event_row(send, event_type, timestamp=now, email_id=send.email_id, detail=detail, counted=True)
    return bool(await events.record(session, [row], counted_before=now - repeat_after))


async def record_open(
    session: AsyncSession, send: TrackedSend, *, now: datetime, repeat_after: timedelta
) -> None:
    if await record_activity(session, send, EventType.OPENED, now=now, repeat_after=repeat_after):
        await _count(session, _OPENED, send, triggers.Activity.OPENED, now)


async def record_click(
    session: AsyncSession, send: TrackedSend, *, url: str, now: datetime, repeat_after: timedelta
) -> None:
    counted = await record_activity(
        session, send, EventType.CLICKED, now=now, repeat_after=repeat_after, detail=url
    )
    if counted:
        await _count(session, _CLICKED, send, triggers.Activity.CLICKED, now)


async def _count(
    session: AsyncSession, counted: Update, send: TrackedSend, activity: triggers.Activity, now: datetime
) -> None:
    """The lead's counters go up (`counted`), and a subsequence waiting for this activity takes it."""
    values = {"lead_id": send.lead_id, "at": now, "at_step": send.step, "at_variant": send.variant}
    row = (await (await session.connection()).execute(counted, values)).one_or_none()
    if row is not None and (lead := _CountedLead(*row)).has_subsequence:
        await triggers.on_activity(session, lead, activity, now)


async def unsubscribe(
    session: AsyncSession, send: SendStep, *, now: datetime, webhook_detail: dict[str, Any] | None = None
) -> None:
    """The lead stops: its pending sends cancelled, status Unsubscribed; and its address on the block list,
    so no campaign of the workspace writes to it again, unless the workspace's `add_unsub_to_block` is
    false (unset means block: an unsubscribe is honoured everywhere by default, as the law expects).
    """
    connection = await session.connection()
    wanted = {"lead_id": send.lead_id, "workspace_id": send.workspace_id}
    if address := await connection.scalar(_ADDRESS_TO_BLOCK, wanted):
        bl_value, _domain = email_key(address)
        await block_list_service.add(session, workspace_id=send.workspace_id, bl_value=bl_value)
    email_id = send.email_id if isinstance(send, TrackedSend) else await events.email_of(session, send.id)
    # Last, the writes whose triggers update rows that other unsubscribes of the campaign update too (a
    # stripe of its lead tally, its day of unsubscribes): each stays locked until the commit, so the
    # less is left to do after them, the less the next unsubscribe waits.
    await stop_lead(session, send.lead_id, LeadStatus.UNSUBSCRIBED, now=now, replacing=None)
    row = event_row(send, EventType.UNSUBSCRIBED, timestamp=now, email_id=email_id)
    await events.record(session, [row], webhook_detail=webhook_detail)
