"""The scheduler loop: decides which (lead, step) pairs are due and writes them as `send` rows.

On each tick, for every active campaign (and active subsequence) inside its schedule window: first
steps for leads not contacted yet and follow-ups whose delay has passed, within the campaign's daily
limit and each account's (shared across campaigns, slow ramp included), spaced by the account's
sending gap plus a random wait, skipping blocked, unsubscribed, bounced, completed and replied leads.
Accounts rotate fairly (fewest sends today first); a follow-up goes out from the account that sent the
lead's earlier steps, so it threads. Temporary failures come back here as `retry` rows and are planned
again. A campaign whose leads are all done and which has nothing pending becomes completed.

Only one scheduler plans at a time (a PostgreSQL advisory lock; one process on SQLite), so two workers
never both spend the same daily budget.
"""

import asyncio
import contextlib
import logging
import random
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.analytics.tallies import sent_by_variant
from coldsend.block_list_entries.service import blocked
from coldsend.campaigns import diagnosis, flows
from coldsend.campaigns.diagnosis import Reason
from coldsend.campaigns.due import Due, follow_ups, new_leads, slot_for
from coldsend.campaigns.rotation import AccountLedger, AccountSlot
from coldsend.campaigns.schedule import in_schedule
from coldsend.campaigns.sequences import Sequence, Step
from coldsend.clock import Clock, utcnow
from coldsend.config import Settings
from coldsend.db.locks import SCHEDULER_LOCK
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.ids import new_id
from coldsend.mail.message import new_message_id
from coldsend.models import Campaign, CampaignStatus, CampaignSubsequence, Lead, LeadStatus, Send, SendState
from coldsend.sends.statistics import StatisticsKeeper

log = logging.getLogger(__name__)
VARIANT_COUNTS_SECONDS = 600.0


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        lock: EngineLock,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.lock = lock
        self.rng = rng or random.Random()
        self.statistics = StatisticsKeeper()
        # Per sequence: when its sends' variant counts were read, and those counts, kept up to date as
        # sends are planned. Counting a big campaign's sends every tick would grow with its leads.
        self.variant_counts: dict[uuid.UUID, tuple[float, dict[tuple[int, int], int]]] = {}

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            if await self.tick():
                continue  # more may be due right away (a big campaign plans in batches)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.settings.send_poll_interval)

    async def tick(self) -> int:
        """Plan what is due now; how many sends were written (or re-planned)."""
        async with self.lock, session_scope(self.sessionmaker) as session:
            if not await _try_lock(session):
                return 0
            await self.statistics.refresh(session)
            now = self.clock.now()
            planned = 0
            sequences = await _active_sequences(session)
            await self._read_variant_counts(session, sequences)
            ledger = AccountLedger(now)  # accounts' days, shared by the campaigns of this tick
            sending: set[uuid.UUID] = set()  # campaigns that planned a send this tick
            for sequence in sequences:
                count, not_sending = await self._plan(session, sequence, now, ledger)
                planned += count
                if count:
                    sending.add(sequence.campaign.id)
                if sequence.subsequence is None:
                    await flows.note_not_sending(session, sequence.campaign, not_sending)
            for campaign in {sequence.campaign.id: sequence.campaign for sequence in sequences}.values():
                if campaign.id not in sending:  # one with a send just planned is not done
                    await flows.complete_if_done(session, campaign, sequences)
            return planned

    async def _read_variant_counts(self, session: AsyncSession, sequences: list[Sequence]) -> None:
        """Sends so far per (step, variant) of each sequence with a choice of variants: the sent ones as the
        analytics rollups have them, read in one statement at most every VARIANT_COUNTS_SECONDS and counted
        on as sends are planned (so those in flight at a read are missed until they are sent: the balance
        between variants is approximate anyway)."""
        now = time.monotonic()
        read = self.variant_counts
        stale = [
            sequence.id
            for sequence in sequences
            if any(len(step.variants) > 1 for step in sequence.steps)
            and (sequence.id not in read or now - read[sequence.id][0] >= VARIANT_COUNTS_SECONDS)
        ]
        if stale:
            for sequence_id, counts in (await sent_by_variant(session, stale)).items():
                self.variant_counts[sequence_id] = (now, counts)

    async def _plan(
        self, session: AsyncSession, sequence: Sequence, now: datetime, ledger: AccountLedger
    ) -> tuple[int, Reason | None]:
        """How many sends were planned, and why none could be when that is the reason."""
        steps = sequence.steps
        if not steps:
            return 0, None
        opened = await diagnosis.gate(session, sequence, self.settings, now, ledger)
        if opened.reason is not None:
            return 0, opened.reason
        budget = min(opened.budget, self.settings.send_batch_size)
        horizon = now + timedelta(seconds=self.settings.send_poll_interval)
        planner = _Planner(self, sequence, steps, opened.slots, now, horizon)

        planned = 0
        seen: list[Due] = []  # due this tick, planned or not
        for row in await _due_retries(session, sequence, now, budget):
            seen.append(Due(row.lead_id, "", row.step, row.account_id))
            if planner.replan(row):
                planned += 1
        sends: list[dict[str, Any]] = []
        prioritize_new = bool(sequence.campaign.prioritize_new_leads)
        groups = [new_leads, follow_ups] if prioritize_new else [follow_ups, new_leads]
        for group in groups:
            if planned >= budget:
                break
            due = await group(session, sequence, steps, now, budget - planned)
            stop = await _stop_blocked(session, sequence, due)
            for item in due:
                if item.lead_id in stop:
                    continue
                seen.append(item)
                if planned >= budget:
                    break
                send = planner.plan(item)
                if send is not None:
                    sends.append(send)
                    planned += 1
        await session.flush()  # the retries planned again
        if sends:
            stamp = utcnow()
            for send in sends:
                send["timestamp_created"] = send["timestamp_updated"] = stamp
            # Core, not the ORM's unit of work: a Send object each cost more than planning it.
            await session.execute(_INSERT_SENDS, sends)
        if planned or sequence.subsequence is not None:
            return planned, None
        return 0, await diagnosis.idle_reason(session, sequence, opened.slots, now, horizon, seen)


class _Planner:
    """Assigns accounts, slots and variants to due sends within one tick."""

    def __init__(
        self,
        scheduler: Scheduler,
        sequence: Sequence,
        steps: list[Step],
        slots: list[AccountSlot],
        now: datetime,
        horizon: datetime,
    ) -> None:
        self.rng = scheduler.rng
        self.sequence = sequence
        self.steps = steps
        self.slots = slots
        self.by_id = {slot.account.id: slot for slot in slots}
        self.now = now
        self.horizon = horizon
        # Shared with the scheduler's (and so counted on across ticks) when the sequence has a choice.
        self.variant_counts = scheduler.variant_counts.get(sequence.id, (0.0, {}))[1]
        wait = sequence.campaign.random_wait_max or 0
        self.random_wait = timedelta(minutes=max(0, wait))
        campaign, subsequence = sequence.campaign, sequence.subsequence
        self.sequence_columns = {
            "workspace_id": campaign.workspace_id,
            "campaign_id": campaign.id,
            "subsequence_id": subsequence.id if subsequence is not None else None,
            "sequence_id": sequence.id,
            "state": SendState.SCHEDULED,
            "attempts": 0,
            "soft_bounces": 0,
        }

    def _variant(self, step: Step) -> int:
        chosen = min(
            step.variants, key=lambda v: (self.variant_counts.get((step.index, v.index), 0), v.index)
        )
        key = (step.index, chosen.index)
        self.variant_counts[key] = self.variant_counts.get(key, 0) + 1
        return chosen.index

    def _slot_for(self, step: int, account_id: uuid.UUID | None) -> AccountSlot | None:
        return slot_for(self.slots, step, account_id, self.horizon, self.by_id)

    def _take(self, slot: AccountSlot) -> datetime | None:
        when = max(self.now, slot.next_free)
        if self.random_wait:
            when += timedelta(seconds=self.rng.uniform(0, self.random_wait.total_seconds()))
        if not in_schedule(self.sequence.schedule, when):
            slot.next_free = self.horizon + timedelta(seconds=1)  # nothing more from it this tick
            return None
        slot.take(when)
        return when

    def plan(self, due: Due) -> dict[str, Any] | None:
        """The `send` row of a due step (its timestamps aside), or None when no account is free for it."""
        slot = self._slot_for(due.step, due.account_id)
        if slot is None:
            return None
        when = self._take(slot)
        if when is None:
            return None
        account = slot.account
        return {
            **self.sequence_columns,
            "id": new_id(),
            "lead_id": due.lead_id,
            "step": due.step,
            "variant": self._variant(self.steps[due.step]),
            "account_id": account.id,
            "account_email": account.email,
            "message_id": new_message_id(account.email.rpartition("@")[2]),
            "due_at": when,
        }

    def replan(self, send: Send) -> bool:
        """A `retry` row whose wait is over goes back in line, keeping its Message-ID."""
        slot = self._slot_for(send.step, send.account_id)
        if slot is None:
            return False
        when = self._take(slot)
        if when is None:
            return False
        send.state = SendState.SCHEDULED
        send.due_at = when
        send.account_id = slot.account.id
        send.account_email = slot.account.email
        return True


_INSERT_SENDS = insert(cast(Table, Send.__table__))


async def _try_lock(session: AsyncSession) -> bool:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return True
    return bool(await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SCHEDULER_LOCK}))


async def _active_sequences(session: AsyncSession) -> list[Sequence]:
    """Active campaigns' main sequences, and the active subsequences of active or running campaigns."""
    campaigns = {
        campaign.id: campaign
        for campaign in await session.scalars(select(Campaign).where(Campaign.status.in_(flows.SENDING)))
    }
    sequences = [
        Sequence(campaign, None)
        for campaign in campaigns.values()
        if campaign.status == CampaignStatus.ACTIVE
    ]
    if campaigns:
        subsequences = await session.scalars(
            select(CampaignSubsequence).where(
                CampaignSubsequence.status == CampaignStatus.ACTIVE,
                CampaignSubsequence.parent_campaign_id.in_(list(campaigns)),
            )
        )
        sequences += [Sequence(campaigns[sub.parent_campaign_id], sub) for sub in subsequences]
    return sequences


async def _due_retries(session: AsyncSession, sequence: Sequence, now: datetime, limit: int) -> list[Send]:
    return list(await session.scalars(_DUE_RETRIES, {"sequence_id": sequence.id, "now": now, "limit": limit}))


_DUE_RETRIES = (
    select(Send)
    .where(
        Send.sequence_id == bindparam("sequence_id"),
        Send.state == SendState.RETRY,
        Send.due_at <= bindparam("now"),
    )
    .order_by(Send.due_at, Send.id)
    .limit(bindparam("limit"))
)


async def _stop_blocked(session: AsyncSession, sequence: Sequence, due: list[Due]) -> set[uuid.UUID]:
    """Leads on the workspace's block list are skipped for good (status -3); their ids."""
    if not due:
        return set()
    hits = await blocked(
        session, workspace_id=sequence.campaign.workspace_id, addresses=[item.email for item in due]
    )
    stopped = {item.lead_id for item in due if item.email in hits}
    if stopped:
        await session.execute(
            update(Lead)
            .where(Lead.id.in_(stopped), Lead.status == LeadStatus.ACTIVE)
            .values(status=LeadStatus.SKIPPED)
            .execution_options(synchronize_session=False)
        )
        log.info("sequence %s: %d blocked leads skipped", sequence.id, len(stopped))
    return stopped
