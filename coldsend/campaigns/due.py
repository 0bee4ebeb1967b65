"""Which (lead, step) pairs of a sequence are due now: what the scheduler plans, and what the sending
diagnosis looks for when nothing was planned."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from coldsend.campaigns.rotation import USED_IN_DAY, AccountSlot, local_day, pick
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
    params = _params(sequence)
    if sequence.subsequence is None and sequence.campaign.daily_max_leads:
        start, end = local_day(now, timezone_of(sequence))
        started = await session.scalar(_STARTED_TODAY, {**params, "day_start": start, "day_end": end})
        budget = min(budget, sequence.campaign.daily_max_leads - (started or 0))
    if budget <= 0 or not first.variants:
        return []
    in_subsequence = sequence.subsequence is not None
    stmt = _new_leads(in_subsequence, _stops_on_reply(sequence))
    params |= {"entered_by": now - first.pre_delay, "limit": budget}
    rows = await session.execute(stmt, params)
    return [Due(lead_id, email, 0, None) for lead_id, email in rows.all()]


async def follow_ups(
    session: AsyncSession, sequence: Sequence, steps: list[Step], now: datetime | None, limit: int
) -> list[Due]:
    """Follow-ups whose delay is over at `now`; with `now` None, every follow-up still to come."""
    due: list[Due] = []
    in_subsequence = sequence.subsequence is not None
    builder = _subsequence_follow_ups if in_subsequence else _main_follow_ups
    stmt = builder(now is not None, _stops_on_reply(sequence))
    params = _params(sequence)
    for step in steps[:-1]:
        after = steps[step.index + 1]
        if len(due) >= limit or not after.variants:
            continue
        wait = step.delay + (after.pre_delay if in_subsequence else timedelta())
        params |= {
            "step": step.index,
            "next_step": step.index + 1,
            "last_step_id": step_id(sequence.id, step.index),
            "waited_from": None if now is None else now - wait,
            "limit": limit - len(due),
        }
        rows = await session.execute(stmt, params)
        due.extend(
            Due(lead_id, email, step.index + 1, account_id) for lead_id, email, account_id in rows.all()
        )
    return due


# The statements below are built once per shape, with the sequence, step, times and limit as bound
# parameters (`_params` and the callers name them): building and keying a statement per campaign and step
# cost more of a scheduler tick's CPU than running it.


def _params(sequence: Sequence) -> dict[str, Any]:
    subsequence = sequence.subsequence
    return {
        "sequence_id": sequence.id,
        "campaign_id": sequence.campaign.id,
        "subsequence_id": subsequence.id if subsequence is not None else None,
    }


def _stops_on_reply(sequence: Sequence) -> bool:
    return sequence.campaign.stop_on_reply is not False


_STARTED_TODAY = select(func.count()).where(
    Send.sequence_id == bindparam("sequence_id"), Send.step == 0, USED_IN_DAY
)


@functools.cache
def _new_leads(in_subsequence: bool, stops_on_reply: bool) -> Select[Any]:
    contacted = exists().where(Send.sequence_id == bindparam("sequence_id"), Send.lead_id == Lead.id)
    stmt = select(Lead.id, Lead.email).where(*_sendable(in_subsequence, stops_on_reply), ~contacted)
    if in_subsequence:
        entered = func.coalesce(Lead.timestamp_added_subsequence, Lead.timestamp_created)
        stmt = stmt.where(entered <= bindparam("entered_by"))
    return stmt.order_by(Lead.timestamp_created, Lead.id).limit(bindparam("limit"))


@functools.cache
def _main_follow_ups(waited: bool, stops_on_reply: bool) -> Select[Any]:
    """A lead in the main sequence names its last step sent (last_step_id) and when it went, so PostgreSQL
    reads the leads at `step` whose wait is over in order off one index (ix_lead_campaign_id_last_step_id)
    and stops at the limit; each lead it returns is looked up in `send` by its unique key only. The step's
    send must still be done: one that soft-bounced waits to go again (state retry) before the next."""
    current, following = CURRENT, FOLLOWING
    sequence_id: BindParameter[uuid.UUID] = bindparam("sequence_id")
    step: BindParameter[int] = bindparam("step")
    not_done = exists().where(
        current.sequence_id == sequence_id,
        current.lead_id == Lead.id,
        current.step == step,
        current.state.not_in(DONE),
    )
    next_written = exists().where(
        following.sequence_id == sequence_id,
        following.lead_id == Lead.id,
        following.step == bindparam("next_step"),
    )
    account = (
        select(current.account_id)
        .where(current.sequence_id == sequence_id, current.lead_id == Lead.id, current.step == step)
        .scalar_subquery()
    )
    waited_over = [Lead.last_step_timestamp_executed <= bindparam("waited_from")] if waited else []
    return (
        select(Lead.id, Lead.email, account)
        .where(
            Lead.last_step_id == bindparam("last_step_id"),
            *waited_over,
            ~not_done,
            ~next_written,
            *_sendable(False, stops_on_reply),
        )
        .order_by(Lead.last_step_timestamp_executed, Lead.id)
        .limit(bindparam("limit"))
    )


@functools.cache
def _subsequence_follow_ups(waited: bool, stops_on_reply: bool) -> Select[Any]:
    following = FOLLOWING
    sequence_id: BindParameter[uuid.UUID] = bindparam("sequence_id")
    next_written = exists().where(
        following.sequence_id == sequence_id,
        following.lead_id == Send.lead_id,
        following.step == bindparam("next_step"),
    )
    waited_over = [Send.sent_at <= bindparam("waited_from")] if waited else []
    return (
        select(Send.lead_id, Lead.email, Send.account_id)
        .join(Lead, Lead.id == Send.lead_id)
        .where(
            Send.sequence_id == sequence_id,
            Send.step == bindparam("step"),
            Send.state.in_(DONE),
            *waited_over,
            ~next_written,
            *_sendable(True, stops_on_reply),
        )
        .order_by(Send.sent_at, Send.lead_id)
        .limit(bindparam("limit"))
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


def _sendable(in_subsequence: bool, stops_on_reply: bool) -> list[ColumnElement[bool]]:
    """Leads the sequence (the bound `campaign_id` or `subsequence_id`) may still write to: active, with an
    address, not stopped by a reply."""
    conditions: list[ColumnElement[bool]] = [Lead.email.is_not(None)]
    if in_subsequence:
        # Leads often enter a subsequence once the campaign is done with them (status completed).
        conditions += [
            Lead.subsequence_id == bindparam("subsequence_id"),
            Lead.status.in_(SUBSEQUENCE_SENDABLE),
        ]
    else:
        conditions += [
            Lead.campaign_id == bindparam("campaign_id"),
            Lead.subsequence_id.is_(None),
            Lead.status == LeadStatus.ACTIVE,
        ]
    if stops_on_reply:
        conditions.append(_not_replied(in_subsequence))
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
    return [_not_replied(in_subsequence)] if campaign.stop_on_reply is not False else []


def _not_replied(in_subsequence: bool) -> ColumnElement[bool]:
    if not in_subsequence:
        return Lead.email_reply_count == 0
    return or_(
        Lead.timestamp_last_reply.is_(None),
        Lead.timestamp_added_subsequence.is_(None),
        Lead.timestamp_last_reply <= Lead.timestamp_added_subsequence,
    )
