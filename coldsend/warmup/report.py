"""The pool report: who is in the workspace's warmup pool, on which domains and at which providers, how
often each pair met in the last 7 days, and plain warnings when the pool is too small to tell much."""

import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.models import Landing, WarmupMessage, WarmupRamp, WarmupState
from coldsend.warmup import pool
from coldsend.warmup.schemas import PoolMailbox, PoolPair, PoolReport

MIN_MAILBOXES = 5
MIN_DOMAINS = 2
WEEK = timedelta(days=7)
LIMITS = (
    "A private pool warms up only among your own mailboxes: it keeps a disciplined ramp, creates real "
    "two-way traffic and measures every day where each mailbox's mail lands (inbox or spam) at each "
    "provider in the pool. It cannot create reputation across other companies' mailboxes the way a "
    "large shared warmup network does, and it measures placement only at the providers it contains."
)


def warnings_for(size: int, domains: int, providers: int) -> list[str]:
    found = []
    if size < MIN_MAILBOXES:
        found.append(
            f"The pool has {size} mailbox{'es' if size != 1 else ''}: with fewer than {MIN_MAILBOXES}, "
            "its placement figures rest on very little mail and say little."
        )
    if domains < MIN_DOMAINS:
        found.append(
            f"The pool's mailboxes are on {domains} domain{'s' if domains != 1 else ''}: warmup mail is "
            f"never sent within a domain, so with fewer than {MIN_DOMAINS} none can be sent."
        )
    if size and providers < MIN_DOMAINS:
        found.append(
            "Every mailbox is at one provider: placement is measured there only, not at the providers "
            "your prospects use."
        )
    return found


async def pool_report(
    session: AsyncSession, workspace_id: uuid.UUID, settings: Settings, now: datetime
) -> PoolReport:
    pool_id = await pool.pool_of(session, workspace_id, settings)
    workspaces = await pool.workspaces_of(session, pool_id, settings)
    accounts = await pool.accounts_of(session, workspaces, all_enabled=True)
    active = {account.id for account in await pool.accounts_of(session, workspaces)}
    members = await pool.members(session, accounts, settings)
    ramps = {
        ramp.account_id: ramp
        for ramp in await session.scalars(
            select(WarmupRamp).where(WarmupRamp.account_id.in_([account.id for account in accounts]))
        )
    }
    rows = list(
        await session.scalars(
            select(WarmupMessage).where(
                WarmupMessage.pool_id == pool_id,
                WarmupMessage.state.in_((WarmupState.SENT, WarmupState.COMMITTED)),
                WarmupMessage.sent_at >= now - WEEK,
            )
        )
    )
    pairs = Counter(tuple(sorted((row.sender_email, row.recipient_email))) for row in rows)
    mailboxes = []
    for account, member in zip(accounts, members, strict=True):
        mine = [row for row in rows if row.sender_id == account.id]
        ramp = ramps.get(account.id)
        mailboxes.append(
            PoolMailbox(
                email=account.email,
                domain=member.domain,
                provider=member.provider,
                warmup_status=account.warmup_status,
                in_pool=account.id in active,
                ramp_day=ramp.days if ramp else 0,
                today_volume=ramp.volume if ramp and ramp.last_day == now.date() else 0,
                sent_7d=len(mine),
                landed_inbox_7d=sum(row.landed == Landing.INBOX for row in mine),
                landed_spam_7d=sum(row.landed == Landing.SPAM for row in mine),
                rescued_7d=sum(row.rescued for row in mine),
            )
        )
    in_pool = [member for member in members if member.id in active]
    domains = Counter(member.domain for member in in_pool)
    providers = Counter(member.provider for member in in_pool)
    return PoolReport(
        size=len(in_pool),
        domains=dict(sorted(domains.items())),
        providers=dict(sorted(providers.items())),
        mailboxes=mailboxes,
        pairs=[PoolPair(mailboxes=list(pair), met_7d=count) for pair, count in sorted(pairs.items())],
        warnings=warnings_for(len(in_pool), len(domains), len(providers)),
        limits=LIMITS,
    )
