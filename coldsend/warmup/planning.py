"""Writing a pool's warmup day: once a day per account, its openers as rows (recipient, text, Message-ID,
due time), in one transaction with the ramp row that says the day is planned. A pool is planned under a
lock on it, so two workers never plan the same day twice, and a worker killed while planning leaves
either the whole day or none of it.
"""

import random
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import flows
from coldsend.campaigns.rotation import campaign_accounts, used_in, utc_day
from coldsend.config import Settings
from coldsend.db import locks
from coldsend.ids import new_id
from coldsend.mail.message import new_message_id
from coldsend.models import Account, Campaign, Send, WarmupKind, WarmupMessage, WarmupState
from coldsend.warmup import library, pool
from coldsend.warmup.plan import Member, Options, day_volume, due_times, partners, seeded, sends_on

PAIR_MEMORY = timedelta(days=7)


def display_name(account: Account) -> str:
    return f"{account.first_name} {account.last_name}".strip()


async def expire_past_days(session: AsyncSession, today: date) -> int:
    """Planned messages of days that are over (their sender was paused or in error) are not sent late."""
    result = await session.execute(
        update(WarmupMessage)
        .where(WarmupMessage.state == WarmupState.PLANNED, WarmupMessage.day < today)
        .values(state=WarmupState.EXPIRED, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _campaign_load(
    session: AsyncSession, workspace_ids: list[uuid.UUID], accounts: list[Account], now: datetime
) -> tuple[set[uuid.UUID], dict[uuid.UUID, int]]:
    """The accounts that send an active campaign, and each account's campaign mail today."""
    sending: set[uuid.UUID] = set()
    campaigns = await session.scalars(
        select(Campaign).where(Campaign.workspace_id.in_(workspace_ids), Campaign.status.in_(flows.SENDING))
    )
    for campaign in campaigns:
        sending.update(account.id for account in await campaign_accounts(session, campaign))
    rows = await session.execute(
        select(Send.account_id, func.count())
        .where(Send.account_id.in_([account.id for account in accounts]), used_in(utc_day(now)))
        .group_by(Send.account_id)
    )
    return sending, {account_id: int(count) for account_id, count in rows.tuples() if account_id is not None}


async def _last_met(
    session: AsyncSession, sender_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, dict[uuid.UUID, datetime]]:
    rows = await session.execute(
        select(WarmupMessage.sender_id, WarmupMessage.recipient_id, func.max(WarmupMessage.due_at))
        .where(WarmupMessage.sender_id.in_(sender_ids), WarmupMessage.due_at >= now - PAIR_MEMORY)
        .group_by(WarmupMessage.sender_id, WarmupMessage.recipient_id)
    )
    met: dict[uuid.UUID, dict[uuid.UUID, datetime]] = {}
    for sender_id, recipient_id, latest in rows.tuples():
        met.setdefault(sender_id, {})[recipient_id] = latest
    return met


def _opener_row(
    pool_id: uuid.UUID, sender: Account, recipient: Account, options: Options, day: date, due: datetime
) -> WarmupMessage:
    row_id = new_id()
    text = library.opener(
        seeded(row_id),
        sender_name=display_name(sender),
        recipient_name=display_name(recipient),
        tag=options.tag,
    )
    return WarmupMessage(
        id=row_id,
        workspace_id=sender.workspace_id,
        pool_id=pool_id,
        sender_id=sender.id,
        recipient_id=recipient.id,
        sender_email=sender.email,
        recipient_email=recipient.email,
        day=day,
        kind=WarmupKind.OPENER,
        subject=text.subject,
        body=text.body,
        message_id=new_message_id(pool.domain_of(sender.email)),
        state=WarmupState.PLANNED,
        due_at=due,
    )


async def plan_pool(session: AsyncSession, pool_id: uuid.UUID, settings: Settings, now: datetime) -> int:
    """Plan today for every member of the pool that has no plan for today yet; how many were planned."""
    await locks.hold(session, pool_id)
    day = now.date()
    workspace_ids = await pool.workspaces_of(session, pool_id, settings)
    accounts = await pool.accounts_of(session, workspace_ids)
    if not accounts:
        return 0
    members = await pool.members(session, accounts, settings)
    by_id = {account.id: account for account in accounts}
    in_campaign, campaign_today = await _campaign_load(session, workspace_ids, accounts, now)
    last_met = await _last_met(session, list(by_id), now)
    planned = 0
    for account, member in zip(accounts, members, strict=True):
        ramp = await pool.ramp_of(session, account.id)
        if ramp.last_day is not None and ramp.last_day >= day:
            continue
        options = Options.of(account.warmup, settings)
        ramp.last_day = day
        if not sends_on(day, options):
            ramp.volume = 0
            continue
        slow = ramp.slow_days > 0
        day_number = ramp.days if slow and ramp.days else ramp.days + 1
        volume = day_volume(
            options,
            day_number,
            settings,
            slow=slow,
            in_campaign=account.id in in_campaign,
            campaign_today=campaign_today.get(account.id, 0),
        )
        rng = random.Random(account.id.int ^ day.toordinal())
        chosen: list[Member] = partners(member, members, volume, last_met.get(account.id, {}), rng)
        if not chosen:
            ramp.volume = 0  # no partner on another domain yet: the ramp waits
            continue
        for recipient, due in zip(chosen, due_times(day, len(chosen), now, settings, rng), strict=True):
            session.add(_opener_row(pool_id, account, by_id[recipient.id], options, day, due))
        ramp.days = day_number
        ramp.volume = len(chosen)
        ramp.slow_days = max(0, ramp.slow_days - 1)
        planned += len(chosen)
    await session.flush()
    return planned
