"""What a send's result writes: the row's final state, the Email row, the event, and the lead's fields.

Every transition is a conditional UPDATE on the row's state (and lease), so when two parties race to
finish the same send (its worker, and another worker recovering it after the lease ran out) exactly one
of them records it.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns.sequences import step_id
from coldsend.clock import iso_z
from coldsend.events import event_row
from coldsend.events import record as record_events
from coldsend.ids import new_id
from coldsend.leads.lifecycle import OPEN, stop_lead
from coldsend.models import Email, EmailType, EventType, Lead, LeadStatus, Send, SendState
from coldsend.sends.compose import Composed, SendContext
from coldsend.subsequences import triggers

log = logging.getLogger(__name__)


async def _transition(
    session: AsyncSession, send_id: uuid.UUID, where: ColumnElement[bool], **values: object
) -> bool:
    result = await session.execute(
        update(Send)
        .where(Send.id == send_id, where)
        .values(**values)
        .returning(Send.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def record_sent(
    session: AsyncSession, ctx: SendContext, composed: Composed, holder: ColumnElement[bool], now: datetime
) -> bool:
    """committed → sent, with its Email row, `sent` event and the lead's last-step fields."""
    return bool(await record_sent_many(session, [(ctx, composed)], holder, now))


def _email_row(ctx: SendContext, composed: Composed, sent_at: datetime) -> dict[str, Any]:
    send, lead, account, outgoing = ctx.send, ctx.lead, ctx.account, composed.outgoing
    return {
        "id": new_id(),
        "workspace_id": send.workspace_id,
        "send_id": send.id,
        "timestamp_email": sent_at,
        "message_id": send.message_id,
        "subject": outgoing.subject,
        "from_address_email": account.email,
        "to_address_email_list": outgoing.to_email,
        "cc_address_email_list": ",".join(outgoing.cc) or None,
        "bcc_address_email_list": ",".join(outgoing.bcc) or None,
        "reply_to": outgoing.reply_to,
        "body": {"html": None if outgoing.text_only else composed.copy.html, "text": composed.copy.text},
        "campaign_id": send.campaign_id,
        "subsequence_id": send.subsequence_id,
        "lead": lead.email,
        "lead_id": lead.id,
        "eaccount": account.email,
        "ue_type": EmailType.SENT_FROM_CAMPAIGN,
        "step": str(send.step),
        "is_unread": 0,
        "thread_id": str(composed.thread_id),
        "in_reply_to": outgoing.in_reply_to,
        "references": " ".join(outgoing.references) or None,
        "content_preview": composed.copy.text[:200],
        "from_address_json": [{"address": account.email, "name": outgoing.from_name}],
        "to_address_json": [{"address": outgoing.to_email, "name": ""}],
        "cc_address_json": [{"address": address, "name": ""} for address in outgoing.cc] or None,
    }


def _lead_row(ctx: SendContext, sent_at: datetime, now: datetime) -> dict[str, Any]:
    send, lead, sequence = ctx.send, ctx.lead, ctx.sequence
    last_step = str(step_id(sequence.id, send.step))
    return {
        "id": lead.id,
        "last_step_from": sequence.source,
        "last_step_id": step_id(sequence.id, send.step),
        "last_step_timestamp_executed": sent_at,
        "timestamp_last_contact": sent_at,
        "timestamp_last_touch": sent_at,
        "last_contacted_from": ctx.account.email,
        "status_summary": {
            **(lead.status_summary or {}),
            "lastStep": {"from": sequence.source, "stepID": last_step, "timestamp_executed": iso_z(sent_at)},
        },
        "timestamp_updated": now,
    }


async def _write_emails(session: AsyncSession, emails: list[dict[str, Any]], resent: set[uuid.UUID]) -> None:
    """Inserts the Email rows; a step sent again after a soft bounce updates the row of its first try
    instead, so a send keeps one Email row (which its events and replies point at)."""
    existing: dict[uuid.UUID | None, uuid.UUID] = {}
    if resent:
        rows = await session.execute(select(Email.send_id, Email.id).where(Email.send_id.in_(resent)))
        existing = dict(rows.tuples().all())
    updates = [email | {"id": existing[email["send_id"]]} for email in emails if email["send_id"] in existing]
    inserts = [email for email in emails if email["send_id"] not in existing]
    if inserts:
        await session.execute(insert(Email), inserts)
    if updates:
        await session.execute(update(Email), updates)


async def record_sent_many(
    session: AsyncSession,
    items: list[tuple[SendContext, Composed]],
    holder: ColumnElement[bool],
    now: datetime,
) -> int:
    """committed → sent for a batch, with Email rows, `sent` events and lead fields; how many."""
    if not items:
        return 0
    sent_ids = set(
        await session.scalars(
            update(Send)
            .where(Send.id.in_([ctx.send.id for ctx, _ in items]), Send.state == SendState.COMMITTED, holder)
            .values(state=SendState.SENT, lease_owner=None, lease_expires_at=None, last_error=None)
            .returning(Send.id)
            .execution_options(synchronize_session=False)
        )
    )
    done = [(ctx, composed) for ctx, composed in items if ctx.send.id in sent_ids]
    if not done:
        return 0
    emails, events, leads, finished = [], [], {}, []
    finished_main: dict[uuid.UUID, uuid.UUID] = {}
    for ctx, composed in done:
        send = ctx.send
        sent_at = send.sent_at or now
        email = _email_row(ctx, composed, sent_at)
        emails.append(email)
        events.append(
            event_row(
                send, EventType.SENT, timestamp=sent_at, email_id=email["id"], account_email=ctx.account.email
            )
        )
        leads[ctx.lead.id] = _lead_row(ctx, sent_at, now)
        if send.step >= len(ctx.sequence.steps) - 1:
            finished.append(ctx.lead.id)
            if ctx.sequence.subsequence is None:
                finished_main[ctx.lead.id] = send.campaign_id
    await _write_emails(session, emails, resent={ctx.send.id for ctx, _ in done if ctx.send.soft_bounces})
    await session.execute(update(Lead), list(leads.values()))
    if finished:
        await session.execute(
            update(Lead)
            .where(Lead.id.in_(finished), Lead.status == LeadStatus.ACTIVE)
            .values(status=LeadStatus.COMPLETED)
            .execution_options(synchronize_session=False)
        )
    if finished_main:
        await triggers.on_completed_without_reply(session, finished_main, now)
    # Last: the events' rollup rows (one per campaign and day) are every sender's, locked until commit.
    await record_events(session, events)
    return len(done)


def backoff(settings_base: float, settings_max: float, attempts: int) -> timedelta:
    return timedelta(seconds=min(settings_max, settings_base * 2 ** max(0, attempts - 1)))


async def record_retry(
    session: AsyncSession,
    send: Send,
    holder: ColumnElement[bool],
    error: str,
    *,
    retry_at: datetime | None,
    now: datetime,
) -> bool:
    """A temporary failure: back to the scheduler at `retry_at`, or failed for good when it is None."""
    if retry_at is not None:
        return await _transition(
            session,
            send.id,
            Send.state.in_((SendState.SENDING, SendState.COMMITTED)) & holder,
            state=SendState.RETRY,
            due_at=retry_at,
            sent_at=None,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error,
        )
    if not await _transition(
        session,
        send.id,
        Send.state.in_((SendState.SENDING, SendState.COMMITTED)) & holder,
        state=SendState.FAILED,
        sent_at=None,
        lease_owner=None,
        lease_expires_at=None,
        last_error=error,
    ):
        return False
    log.warning("send %s failed after %d attempts: %s", send.id, send.attempts, error)
    await stop_lead(session, send.lead_id, LeadStatus.SKIPPED, now=now)
    return True


async def record_cancelled(session: AsyncSession, send: Send, holder: ColumnElement[bool]) -> bool:
    """The lead stopped (reply, unsubscribe, bounce elsewhere) before this step went out."""
    return await _transition(
        session,
        send.id,
        (Send.state == SendState.SENDING) & holder,
        state=SendState.CANCELLED,
        lease_owner=None,
        lease_expires_at=None,
    )


async def release(session: AsyncSession, send: Send, holder: ColumnElement[bool]) -> bool:
    """Nothing was sent and the row cannot go now (campaign paused, account unusable): drop it so the
    scheduler plans the step again later, from a usable account."""
    result = await session.execute(
        delete(Send)
        .where(Send.id == send.id, Send.state == SendState.SENDING, holder)
        .returning(Send.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def release_account(session: AsyncSession, account_id: uuid.UUID) -> int:
    """An account that cannot send gives back its unsent rows, to be planned on other accounts."""
    result = await session.execute(
        delete(Send)
        .where(Send.account_id == account_id, Send.state.in_(OPEN))
        .returning(Send.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def unclaim_many(session: AsyncSession, ids: list[uuid.UUID], holder: ColumnElement[bool]) -> int:
    """Claimed rows this worker will not get to (it is stopping): back in line, as they were."""
    result = await session.execute(
        update(Send)
        .where(Send.id.in_(ids), Send.state == SendState.SENDING, holder)
        .values(
            state=SendState.SCHEDULED, lease_owner=None, lease_expires_at=None, attempts=Send.attempts - 1
        )
        .returning(Send.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def release_many(session: AsyncSession, ids: list[uuid.UUID], holder: ColumnElement[bool]) -> int:
    """Claimed rows that cannot go from their account: dropped, for the scheduler to plan again."""
    result = await session.execute(
        delete(Send)
        .where(Send.id.in_(ids), Send.state == SendState.SENDING, holder)
        .returning(Send.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())
