"""Why a campaign is or is not sending right now: the one verdict behind both the scheduler's
`not_sending_status` note and `GET /campaigns/{id}/sending-status`."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns.due import Due, follow_ups, new_leads, slot_for, timezone_of
from coldsend.campaigns.rotation import (
    USED_IN_DAY,
    AccountLedger,
    AccountSlot,
    account_slots,
    campaign_accounts,
    local_day,
)
from coldsend.campaigns.schedule import in_schedule
from coldsend.campaigns.schemas import SendingState
from coldsend.campaigns.sequences import Sequence
from coldsend.config import Settings
from coldsend.models import Campaign, NotSendingStatus, Send, SendState

OPEN = (SendState.SCHEDULED, SendState.SENDING, SendState.COMMITTED, SendState.RETRY)


class Reason(StrEnum):
    SENDING = "sending"
    OUT_OF_SCHEDULE = "out_of_schedule"
    NO_ACCOUNTS = "no_accounts"
    ACCOUNTS_UNAVAILABLE = "accounts_unavailable"  # every account paused or in error
    ACCOUNTS_DAILY_LIMIT = "accounts_daily_limit"
    CAMPAIGN_DAILY_LIMIT = "campaign_daily_limit"
    SENDING_GAP = "sending_gap"  # leads are due, every account that may send them waits its gap
    FOLLOW_UP_DELAY = "follow_up_delay"
    NO_LEADS = "no_leads"


# The spec's not_sending_status has no value for the gap nor for the follow-up delay: both are its 2,
# "waiting for a lead to process"; sending-status names the gap in its message and accounts_summary.
VERDICTS: dict[Reason, tuple[NotSendingStatus | None, SendingState]] = {
    Reason.SENDING: (None, SendingState.HEALTHY),
    Reason.OUT_OF_SCHEDULE: (NotSendingStatus.OUT_OF_SCHEDULE, SendingState.OUT_OF_SCHEDULE),
    Reason.NO_ACCOUNTS: (NotSendingStatus.ERROR, SendingState.NO_ACCOUNTS_AVAILABLE),
    Reason.ACCOUNTS_UNAVAILABLE: (NotSendingStatus.ERROR, SendingState.ALL_ACCOUNTS_UNHEALTHY),
    Reason.ACCOUNTS_DAILY_LIMIT: (
        NotSendingStatus.ACCOUNTS_DAILY_LIMIT,
        SendingState.ACCOUNT_DAILY_LIMIT_MET,
    ),
    Reason.CAMPAIGN_DAILY_LIMIT: (NotSendingStatus.CAMPAIGN_DAILY_LIMIT, SendingState.DAILY_LIMIT_MET),
    Reason.SENDING_GAP: (NotSendingStatus.WAITING_FOR_LEAD, SendingState.HEALTHY),
    Reason.FOLLOW_UP_DELAY: (NotSendingStatus.WAITING_FOR_LEAD, SendingState.FOLLOW_UP_DELAY_NOT_MET),
    Reason.NO_LEADS: (NotSendingStatus.WAITING_FOR_LEAD, SendingState.WAITING_FOR_LEADS),
}


@dataclass
class Gate:
    """What may be sent now at all: the reason nothing may, else the free accounts and budget."""

    reason: Reason | None
    in_schedule: bool
    slots: list[AccountSlot] = field(default_factory=list)
    budget: int = 0  # the campaign's (or subsequence's) sends left today
    configured: int = 0  # accounts the campaign names that exist, whatever their status


@dataclass
class Diagnosis:
    reason: Reason
    gate: Gate
    horizon: datetime

    @property
    def not_sending_status(self) -> NotSendingStatus | None:
        return VERDICTS[self.reason][0]

    @property
    def state(self) -> SendingState:
        return VERDICTS[self.reason][1]


async def gate(
    session: AsyncSession,
    sequence: Sequence,
    settings: Settings,
    now: datetime,
    ledger: AccountLedger | None = None,
) -> Gate:
    """The checks before any lead is looked at: schedule, accounts, their daily limits, the campaign's."""
    if not in_schedule(sequence.schedule, now):
        return Gate(Reason.OUT_OF_SCHEDULE, in_schedule=False)
    campaign = sequence.campaign
    accounts = await campaign_accounts(session, campaign)
    found_slots = await account_slots(session, accounts, settings, now, campaign=campaign, ledger=ledger)
    slots = list(found_slots.values())
    configured = len(await campaign_accounts(session, campaign, any_status=True)) if not slots else len(slots)
    found = Gate(None, in_schedule=True, slots=slots, configured=configured)
    if not slots:
        found.reason = Reason.ACCOUNTS_UNAVAILABLE if configured else Reason.NO_ACCOUNTS
        return found
    if all(slot.remaining <= 0 for slot in slots):
        found.reason = Reason.ACCOUNTS_DAILY_LIMIT
        return found
    found.budget = await campaign_budget(session, sequence, settings, now)
    if found.budget <= 0:
        found.reason = Reason.CAMPAIGN_DAILY_LIMIT
    return found


async def campaign_budget(
    session: AsyncSession, sequence: Sequence, settings: Settings, now: datetime
) -> int:
    """Sends the campaign (or a subsequence with its own limit) may still make today."""
    campaign, subsequence = sequence.campaign, sequence.subsequence
    if subsequence is not None and subsequence.daily_limit_mode == "unlimited":
        return settings.send_batch_size
    if subsequence is not None and subsequence.daily_limit_mode == "custom":
        limit, stmt, scope = subsequence.daily_limit, _USED_BY_SEQUENCE, subsequence.id
    else:
        limit, stmt, scope = campaign.daily_limit, _USED_BY_CAMPAIGN, campaign.id
    if not limit:
        return settings.send_batch_size
    start, end = local_day(now, timezone_of(sequence))
    used = await session.scalar(stmt, {"scope": scope, "day_start": start, "day_end": end}) or 0
    return limit - used


# Built once, the campaign or subsequence and the day bound: the scheduler asks it of every campaign.
_USED_BY_CAMPAIGN = select(func.count()).where(Send.campaign_id == bindparam("scope"), USED_IN_DAY)
_USED_BY_SEQUENCE = select(func.count()).where(Send.sequence_id == bindparam("scope"), USED_IN_DAY)


async def idle_reason(
    session: AsyncSession,
    sequence: Sequence,
    slots: list[AccountSlot],
    now: datetime,
    horizon: datetime,
    due: list[Due] | None = None,
) -> Reason:
    """Why the gate is open but nothing is planned: a send in flight (sending), leads due but every
    account that may send them waiting its gap, a follow-up's delay, or no lead left. `due` is what the
    scheduler already found due this tick (looked up here when None)."""
    in_flight = exists().where(Send.campaign_id == sequence.campaign.id, Send.state.in_(OPEN))
    if await session.scalar(select(in_flight)):
        return Reason.SENDING
    steps = sequence.steps
    if due is None:
        due = await new_leads(session, sequence, steps, now, 1) or await follow_ups(
            session, sequence, steps, now, 1
        )
    if due:
        by_id = {slot.account.id: slot for slot in slots}
        waiting = all(slot_for(slots, item.step, item.account_id, horizon, by_id) is None for item in due)
        return Reason.SENDING_GAP if waiting else Reason.SENDING
    if await follow_ups(session, sequence, steps, None, 1):
        return Reason.FOLLOW_UP_DELAY
    return Reason.NO_LEADS


async def diagnose(session: AsyncSession, campaign: Campaign, settings: Settings, now: datetime) -> Diagnosis:
    """The verdict for an active campaign's main sequence, as the scheduler reaches it on a tick."""
    sequence = Sequence(campaign, None)
    horizon = now + timedelta(seconds=settings.send_poll_interval)
    found = await gate(session, sequence, settings, now)
    if found.reason is not None:
        return Diagnosis(found.reason, found, horizon)
    reason = await idle_reason(session, sequence, found.slots, now, horizon)
    return Diagnosis(reason, found, horizon)


async def last_sent_at(session: AsyncSession, campaign_id: uuid.UUID) -> datetime | None:
    sent: datetime | None = await session.scalar(
        select(func.max(Send.sent_at)).where(Send.campaign_id == campaign_id, Send.state == SendState.SENT)
    )
    return sent
