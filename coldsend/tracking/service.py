"""What opens, clicks and unsubscribes do to events, leads and pending sends."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import events
from coldsend.addresses import email_key
from coldsend.block_list_entries import service as block_list_service
from coldsend.events import event_row, record_event
from coldsend.leads.lifecycle import stop_lead
from coldsend.models import Email, EventType, Lead, LeadStatus, Send, Workspace
from coldsend.subsequences import triggers


async def get_send(session: AsyncSession, send_id: uuid.UUID) -> Send | None:
    send: Send | None = await session.get(Send, send_id)
    return send


async def get_lead(session: AsyncSession, send: Send) -> Lead | None:
    lead: Lead | None = await session.get(Lead, send.lead_id)
    return lead


async def record_activity(
    session: AsyncSession,
    send: Send,
    event_type: str,
    *,
    now: datetime,
    repeat_after: timedelta,
    detail: str | None = None,
) -> bool:
    """An open or click: the first one makes the event (a unique open or click), a repeat bumps its count
    only if the last counted one is at least `repeat_after` old, so replaying a link cannot inflate the
    numbers. True if it counted."""
    email_id = await session.scalar(select(Email.id).where(Email.send_id == send.id))
    row = event_row(send, event_type, timestamp=now, email_id=email_id, detail=detail, counted=True)
    return bool(await events.record(session, [row], counted_before=now - repeat_after))


async def record_open(session: AsyncSession, send: Send, *, now: datetime, repeat_after: timedelta) -> None:
    if not await record_activity(session, send, EventType.OPENED, now=now, repeat_after=repeat_after):
        return
    bump = (
        update(Lead)
        .where(Lead.id == send.lead_id)
        .values(
            email_open_count=Lead.email_open_count + 1,
            timestamp_last_open=now,
            email_opened_step=send.step,
            email_opened_variant=send.variant,
        )
    )
    await _activity(session, bump, triggers.Activity.OPENED, now)


async def record_click(
    session: AsyncSession, send: Send, *, url: str, now: datetime, repeat_after: timedelta
) -> None:
    counted = await record_activity(
        session, send, EventType.CLICKED, now=now, repeat_after=repeat_after, detail=url
    )
    if not counted:
        return
    bump = (
        update(Lead)
        .where(Lead.id == send.lead_id)
        .values(
            email_click_count=Lead.email_click_count + 1,
            timestamp_last_click=now,
            email_clicked_step=send.step,
            email_clicked_variant=send.variant,
        )
    )
    await _activity(session, bump, triggers.Activity.CLICKED, now)


async def _activity(
    session: AsyncSession, counted: Update, activity: triggers.Activity, now: datetime
) -> None:
    """The lead's counters go up (`counted`), returning the lead in the same statement; a subsequence
    waiting for this activity takes it."""
    lead = await session.scalar(counted.returning(Lead))
    if lead is not None:
        await triggers.on_activity(session, lead, activity, now)


async def unsubscribe(
    session: AsyncSession, send: Send, *, now: datetime, webhook_detail: dict[str, Any] | None = None
) -> None:
    """The lead stops: its pending sends cancelled, status Unsubscribed; and its address on the block list,
    so no campaign of the workspace writes to it again, unless the workspace's `add_unsub_to_block` is
    false (unset means block: an unsubscribe is honoured everywhere by default, as the law expects).

    """
    await stop_lead(session, send.lead_id, LeadStatus.UNSUBSCRIBED, now=now, replacing=None)
    lead = await get_lead(session, send)
    setting = select(Workspace.add_unsub_to_block).where(Workspace.id == send.workspace_id)
    blocks = await session.scalar(setting)
    if lead is not None and lead.email and blocks is not False:
        address, _domain = email_key(lead.email)
        await block_list_service.create(session, workspace_id=send.workspace_id, bl_value=address)
    await record_event(session, send, EventType.UNSUBSCRIBED, now=now, webhook_detail=webhook_detail)
