"""Which accounts a campaign sends from, how many more each may send today, and when each is next free."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns.schedule import zone
from coldsend.config import Settings
from coldsend.models import (
    Account,
    AccountStatus,
    Campaign,
    CopyState,
    CustomTagMapping,
    PlacementCopy,
    PlacementSeed,
    Send,
    SendState,
    WarmupMessage,
    WarmupState,
)

ACCOUNT_RESOURCE = 1  # CustomTagMapping.resource_type of accounts
PENDING = (SendState.SCHEDULED, SendState.SENDING)
IN_FLIGHT = (SendState.SCHEDULED, SendState.SENDING, SendState.COMMITTED)
WARMUP_PENDING = (WarmupState.PLANNED, WarmupState.SENDING)
SLOW_RAMP_FIRST_DAY = 5  # a slow-ramping account sends this many on its first day, that many more each day


@dataclass
class AccountDay:
    """What an account has sent or has planned on one UTC day, over every campaign it sends for."""

    used: int  # sends counted against the day, and inbox placement copies
    warmup: int  # warmup mail of the day (it shares the account's ceiling)
    last: datetime | None  # its last send or planned send
    first_sent: datetime | None


class AccountLedger:
    """The accounts' days as one scheduler tick sees them: each read once, then counted on as the tick
    plans, so every campaign sees what the campaigns before it planned (one statement per tick, not one
    per campaign)."""

    def __init__(self, now: datetime) -> None:
        self.day = utc_day(now)
        self.days: dict[uuid.UUID, AccountDay] = {}

    async def load(self, session: AsyncSession, ids: list[uuid.UUID]) -> None:
        missing = [account_id for account_id in ids if account_id not in self.days]
        if missing:
            self.days.update(await _account_days(session, missing, self.day))


@dataclass
class AccountSlot:
    """An account's sending state for one campaign in this tick: today's budget and when it may send next."""

    account: Account
    limit: int
    day: AccountDay
    next_free: datetime
    gap: timedelta

    @property
    def used(self) -> int:
        return self.day.used

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def take(self, when: datetime) -> None:
        """Count a send planned at `when` against the account's day, for every campaign of the tick."""
        self.day.used += 1
        self.day.last = when if self.day.last is None else max(self.day.last, when)
        self.next_free = when + self.gap if self.gap else when


async def campaign_accounts(
    session: AsyncSession, campaign: Campaign, *, any_status: bool = False
) -> list[Account]:
    """The active accounts (or all, paused and in error too) named by `email_list` or tagged with one of
    `email_tag_list`, by email. Inbox placement seeds never send campaign mail."""
    emails = {email.lower() for email in campaign.email_list}
    tag_ids = []
    for raw in campaign.email_tag_list:
        try:
            tag_ids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    params: dict[str, object] = {"workspace_id": campaign.workspace_id, "tag_ids": tag_ids}
    if tag_ids:
        emails.update(resource_id.lower() for resource_id in await session.scalars(_TAGGED, params))
    if not emails:
        return []
    accounts = await session.scalars(_NAMED[any_status], {**params, "emails": sorted(emails)})
    return list(accounts)


# Built once (the workspace, tags and addresses bound): the scheduler asks this of every campaign each tick.
_TAGGED = select(CustomTagMapping.resource_id).where(
    CustomTagMapping.workspace_id == bindparam("workspace_id"),
    CustomTagMapping.resource_type == ACCOUNT_RESOURCE,
    CustomTagMapping.tag_id.in_(bindparam("tag_ids", expanding=True)),
)
_NAMED_ANY_STATUS = (
    select(Account)
    .where(
        Account.workspace_id == bindparam("workspace_id"),
        Account.email.in_(bindparam("emails", expanding=True)),
        ~exists().where(PlacementSeed.account_id == Account.id),
    )
    .order_by(Account.email)
)
_NAMED = {True: _NAMED_ANY_STATUS, False: _NAMED_ANY_STATUS.where(Account.status == AccountStatus.ACTIVE)}


def utc_day(now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return start, start + timedelta(days=1)


def local_day(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The bounds, in UTC, of the day `now` falls on in `timezone`."""
    tz = zone(timezone)
    local = now.astimezone(tz).date()
    start = datetime.combine(local, time(), tz)
    end = datetime.combine(local + timedelta(days=1), time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


# Sends that count against a day: sent (or committed) in it, or planned and not yet sent. The day's bounds
# are the parameters `day_start` and `day_end`, for statements built once; `used_in` binds them.
USED_IN_DAY = or_(
    Send.state.in_(PENDING), (Send.sent_at >= bindparam("day_start")) & (Send.sent_at < bindparam("day_end"))
)


def used_in(day: tuple[datetime, datetime]) -> ColumnElement[bool]:
    start, end = day
    return USED_IN_DAY.params(day_start=start, day_end=end)


async def _latest_per_account(
    session: AsyncSession, ids: list[uuid.UUID], *where: ColumnElement[bool]
) -> dict[uuid.UUID, datetime]:
    """When each account last sent, or is next planned to send, among the sends `where` selects."""
    latest: dict[uuid.UUID, datetime] = {}
    # Per account, so PostgreSQL reads max(sent_at) off the end of (account_id, sent_at) instead of
    # every send the accounts ever made.
    last_sent = select(func.max(Send.sent_at)).where(Send.account_id == Account.id, *where).scalar_subquery()
    sent = await session.execute(select(Account.id, last_sent).where(Account.id.in_(ids)))
    pending = await session.execute(
        select(Send.account_id, func.max(Send.due_at))
        .where(Send.account_id.in_(ids), Send.state.in_(PENDING), *where)
        .group_by(Send.account_id)
    )
    ends: list[tuple[uuid.UUID | None, datetime | None]] = [*sent.tuples(), *pending.tuples()]
    for account_id, value in ends:
        if account_id is not None and value is not None:
            latest[account_id] = max(latest.get(account_id, _aware(value)), _aware(value))
    return latest


async def account_slots(
    session: AsyncSession,
    accounts: list[Account],
    settings: Settings,
    now: datetime,
    *,
    campaign: Campaign | None = None,
    ledger: AccountLedger | None = None,
) -> dict[uuid.UUID, AccountSlot]:
    """Each account's budget for its (UTC) day, counted over every campaign it sends for (as `ledger` has
    it, when a tick passes one; read now otherwise).

    An account waits its own `sending_gap` after any send of it, and the campaign's `email_gap` after
    its sends for `campaign`: the spec's account gap is the minimum across campaigns, the campaign's
    the gap between that campaign's emails from one account.
    """
    if not accounts:
        return {}
    ids = [account.id for account in accounts]
    ledger = ledger or AccountLedger(now)
    campaign_gap = timedelta(minutes=max(0, campaign.email_gap or 0)) if campaign is not None else timedelta()
    in_campaign: dict[uuid.UUID, datetime] = {}
    if campaign is not None and campaign_gap:
        in_campaign = await _latest_per_account(session, ids, Send.campaign_id == campaign.id)
    await ledger.load(session, ids)
    slots = {}
    for account in accounts:
        day = ledger.days[account.id]
        gap = timedelta(minutes=max(0, account.sending_gap or 0))
        limit = account.daily_limit or settings.account_default_daily_limit
        if account.enable_slow_ramp:
            first = day.first_sent
            days = (ledger.day[0] - utc_day(first)[0]).days if first is not None else 0
            limit = min(limit, SLOW_RAMP_FIRST_DAY * (days + 1))
        limit = min(limit, max(0, settings.account_daily_ceiling - day.warmup))
        latest = [day.last + gap] if day.last is not None else []
        if account.id in in_campaign:
            latest.append(in_campaign[account.id] + campaign_gap)
        slots[account.id] = AccountSlot(
            account=account,
            limit=limit,
            day=day,
            next_free=max([now, *latest]),
            gap=max(gap, campaign_gap),
        )
    return slots


async def _account_days(
    session: AsyncSession, ids: list[uuid.UUID], day: tuple[datetime, datetime]
) -> dict[uuid.UUID, AccountDay]:
    """Per account, in one statement: sends counted against the day, inbox placement copies and warmup
    mail of the day (campaign and warmup mail share one ceiling, COLDSEND_ACCOUNT_DAILY_CEILING), its
    last send, its last planned one and its first. Each is a subquery on one account, so PostgreSQL
    reads max and min off the end of (account_id, sent_at) instead of every send ever made."""
    start, end = day
    mine = Send.account_id == Account.id
    placed = or_(
        PlacementCopy.state == CopyState.COMMITTED,
        (PlacementCopy.sent_at >= start) & (PlacementCopy.sent_at < end),
    )
    warmed = or_(
        WarmupMessage.state.in_(WARMUP_PENDING) & (WarmupMessage.day == start.date()),
        (WarmupMessage.sent_at >= start) & (WarmupMessage.sent_at < end),
    )
    stmt = select(
        Account.id,
        select(func.count()).where(mine, used_in(day)).scalar_subquery().label("used"),
        select(func.count())
        .where(PlacementCopy.account_id == Account.id, placed)
        .scalar_subquery()
        .label("placed"),
        select(func.count())
        .where(WarmupMessage.sender_id == Account.id, warmed)
        .scalar_subquery()
        .label("warmup"),
        select(func.max(Send.sent_at)).where(mine).scalar_subquery().label("last_sent"),
        select(func.max(Send.due_at))
        .where(mine, Send.state.in_(PENDING))
        .scalar_subquery()
        .label("last_due"),
        select(func.min(Send.sent_at)).where(mine).scalar_subquery().label("first_sent"),
    ).where(Account.id.in_(ids))
    days = {}
    for row in (await session.execute(stmt)).all():
        ends = [_aware(value) for value in (row.last_sent, row.last_due) if value is not None]
        days[row.id] = AccountDay(
            used=int(row.used) + int(row.placed),
            warmup=int(row.warmup),
            last=max(ends) if ends else None,
            first_sent=_aware(row.first_sent) if row.first_sent is not None else None,
        )
    return days


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back naive (they are stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def pick(slots: list[AccountSlot], horizon: datetime) -> AccountSlot | None:
    """The fairest free account: the fewest sends today, then the longest idle, then by email."""
    free = [slot for slot in slots if slot.remaining > 0 and slot.next_free <= horizon]
    if not free:
        return None
    return min(free, key=lambda slot: (slot.used, slot.next_free, slot.account.email))
