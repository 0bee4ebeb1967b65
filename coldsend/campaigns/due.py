"""Which (lead, step) pairs of a sequence are due now: what the scheduler plans, and what the sending
diagnosis looks for when nothing was planned."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from coldsend.campaigns.rotation import AccountSlot, local_day, pick, used_in
from coldsend.campaigns.sequences import Sequence, Step, step_id
from coldsend.models import Campaign, Lead, LeadStatus, Send, SendState

DONE = (SendState.SENT, SendState.COMMITTED)
SUBSEQUENCE_SENDABLE = (LeadStatus.ACTIVE, LeadStatus.COMPLETED)
# A lead's send of a step, and of the next step. Made once: an alias builds its column proxies on first
# use, a tenth of a scheduler tick's CPU when each query made its own.
CURRENT = aliased(Send, name="current")
FOLLOWING = aliased(Send, name="following")


@dataclass(frozen=True)
class Due:
    lead_id: uuid.UUID
    email: str
    step: int
    account_id: uuid.UUID | None  # the account that sent the earlier steps (follow-ups thread from it)


def timezone_of(sequence: Sequence) -> str:
    return str((sequence.schedule.get("schedules") or [{}])[0].get("timezone", "UTC"))


async def new_leads(
    session: AsyncSession, sequence: Sequence, steps: list[Step], now: datetime, limit: int
) -> list[Due]:
    first = steps[0]
    budget = limit
    if sequence.subsequence is None and sequence.campaign.daily_max_leads:
        started = await session.scalar(
            select(func.count()).where(
                Send.sequence_id == sequence.id,
                Send.step == 0,
                used_in(local_day(now, timezone_of(sequence))),
            )
        )
        budget = min(budget, sequence.campaign.daily_max_leads - (started or 0))
    if budget <= 0 or not first.variants:
        return []
    contacted = exists().where(Send.sequence_id == sequence.id, Send.lead_id == Lead.id)
    stmt = select(Lead.id, Lead.email).where(*sendable(sequence), ~contacted)
    if sequence.subsequence is not None:
        entered = func.coalesce(Lead.timestamp_added_subsequence, Lead.timestamp_created)
        stmt = stmt.where(entered <= now - first.pre_delay)
    rows = await session.execute(stmt.order_by(Lead.timestamp_created, Lead.id).limit(budget))
    return [Due(lead_id, email, 0, None) for lead_id, email in rows.all()]


async def follow_ups(
    session: AsyncSession, sequence: Sequence, steps: list[Step], now: datetime | None, limit: int
) -> list[Due]:
    """Follow-ups whose delay is over at `now`; with `now` None, every follow-up still to come."""
    due: list[Due] = []
    for step in steps[:-1]:
        after = steps[step.index + 1]
        if len(due) >= limit or not after.variants:
            continue
        wait = step.delay + (after.pre_delay if sequence.subsequence is not None else timedelta())
        waited_from = None if now is None else now - wait
        if sequence.subsequence is None:
            stmt = _main_follow_ups(sequence, step.index, waited_from)
        else:
            stmt = _subsequence_follow_ups(sequence, step.index, waited_from)
        rows = await session.execute(stmt.limit(limit - len(due)))
        due.extend(
            Due(lead_id, email, step.index + 1, account_id) for lead_id, email, account_id in rows.all()
        )
    return due


def _main_follow_ups(sequence: Sequence, step: int, waited_from: datetime | None) -> Select[Any]:
    """A lead in the main sequence names its last step sent (last_step_id) and when it went, so PostgreSQL
    reads the leads at `step` whose wait is over in order off one index (ix_lead_campaign_id_last_step_id)
    and stops at the limit; each lead it returns is looked up in `send` by its unique key only. The step's
    send must still be done: one that soft-bounced waits to go again (state retry) before the next."""
    current, following = CURRENT, FOLLOWING
    not_done = exists().where(
        current.sequence_id == sequence.id,
        current.lead_id == Lead.id,
        current.step == step,
        current.state.not_in(DONE),
    )
    next_written = exists().where(
        following.sequence_id == sequence.id, following.lead_id == Lead.id, following.step == step + 1
    )
    account = (
        select(current.account_id)
        .where(current.sequence_id == sequence.id, current.lead_id == Lead.id, current.step == step)
        .scalar_subquery()
    )
    waited = [] if waited_from is None else [Lead.last_step_timestamp_executed <= waited_from]
    return (
        select(Lead.id, Lead.email, account)
        .where(
            Lead.last_step_id == step_id(sequence.id, step),
            *waited,
            ~not_done,
            ~next_written,
            *sendable(sequence),
        )
        .order_by(Lead.last_step_timestamp_executed, Lead.id)
    )


def _subsequence_follow_ups(sequence: Sequence, step: int, waited_from: datetime | None) -> Select[Any]:
    following = FOLLOWING
    next_written = exists().where(
        following.sequence_id == sequence.id, following.lead_id == Send.lead_id, following.step == step + 1
    )
    waited = [] if waited_from is None else [Send.sent_at <= waited_from]
    return (
        select(Send.lead_id, Lead.email, Send.account_id)
        .join(Lead, Lead.id == Send.lead_id)
        .where(
            Send.sequence_id == sequence.id,
            Send.step == step,
            Send.state.in_(DONE),
            *waited,
            ~next_written,
            *sendable(sequence),
        )
        .order_by(Send.sent_at, Send.lead_id)
    )


def slot_for(
    slots: list[AccountSlot],
    step: int,
    account_id: uuid.UUID | None,
    horizon: datetime,
    by_id: dict[uuid.UUID, AccountSlot],
) -> AccountSlot | None:
    """A follow-up waits for its own account while that account can send; else any free account."""
    own = by_id.get(account_id) if account_id is not None and step > 0 else None
    if own is not None:
        return own if own.remaining > 0 and own.next_free <= horizon else None
    return pick(slots, horizon)


def sendable(sequence: Sequence) -> list[ColumnElement[bool]]:
    """Leads this sequence may still write to: active, with an address, not stopped by a reply."""
    conditions: list[ColumnElement[bool]] = [Lead.email.is_not(None)]
    if sequence.subsequence is not None:
        # Leads often enter a subsequence once the campaign is done with them (status completed).
        conditions += [
            Lead.subsequence_id == sequence.subsequence.id,
            Lead.status.in_(SUBSEQUENCE_SENDABLE),
        ]
    else:
        conditions += [
            Lead.campaign_id == sequence.campaign.id,
            Lead.subsequence_id.is_(None),
            Lead.status == LeadStatus.ACTIVE,
        ]
    conditions += not_replied(sequence.campaign, in_subsequence=sequence.subsequence is not None)
    return conditions


def stopped_by_reply(campaign: Campaign, lead: Lead, *, in_subsequence: bool) -> bool:
    """`not_replied` for one lead already loaded (the sender's last look before it sends)."""
    if campaign.stop_on_reply is False:
        return False
    if not in_subsequence:
        return lead.email_reply_count > 0
    replied, entered = lead.timestamp_last_reply, lead.timestamp_added_subsequence
    return replied is not None and entered is not None and replied > entered


def not_replied(campaign: Campaign, *, in_subsequence: bool) -> list[ColumnElement[bool]]:
    """With stop_on_reply (unset means on), a lead that replied gets no more: from the campaign, once it
    replied at all; from a subsequence, once it replied after entering (a reply is often what put it
    there)."""
    if campaign.stop_on_reply is False:
        return []
    if not in_subsequence:
        return [Lead.email_reply_count == 0]
    return [
        or_(
            Lead.timestamp_last_reply.is_(None),
            Lead.timestamp_added_subsequence.is_(None),
            Lead.timestamp_last_reply <= Lead.timestamp_added_subsequence,
        )
    ]
