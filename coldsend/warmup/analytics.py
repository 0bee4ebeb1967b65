"""Warmup figures from what was measured: per account and UTC day (by when the mail was sent), the
warmup mail it sent, how much of it was found in the recipients' inbox or spam folder, and the warmup
mail it received; over the window, the health score: the share of its landed warmup mail that landed
in the inbox, in percent (13 of 15 is 87), which is also the account's `stat_warmup_score`.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import Account, Landing, WarmupMessage, WarmupState

WINDOW_DAYS = 30
DELIVERED = (WarmupState.SENT, WarmupState.COMMITTED)


@dataclass
class Day:
    sent: int = 0
    received: int = 0
    landed_inbox: int = 0
    landed_spam: int = 0


@dataclass
class Figures:
    days: dict[str, Day] = field(default_factory=dict)
    total: Day = field(default_factory=Day)

    @property
    def health_score(self) -> int | None:
        landed = self.total.landed_inbox + self.total.landed_spam
        return round(100 * self.total.landed_inbox / landed) if landed else None


def window_start(today: date) -> datetime:
    return datetime.combine(today - timedelta(days=WINDOW_DAYS - 1), time(), UTC)


def _day(row: WarmupMessage) -> str:
    assert row.sent_at is not None
    return row.sent_at.astimezone(UTC).date().isoformat()


async def figures(
    session: AsyncSession, accounts: Iterable[Account], *, today: date
) -> dict[uuid.UUID, Figures]:
    """Each account's figures from the start of the window on (later days included)."""
    by_id = {account.id: account for account in accounts}
    found: dict[uuid.UUID, Figures] = defaultdict(Figures)
    if not by_id:
        return {}
    ids = list(by_id)
    rows = await session.scalars(
        select(WarmupMessage).where(
            or_(WarmupMessage.sender_id.in_(ids), WarmupMessage.recipient_id.in_(ids)),
            WarmupMessage.state.in_(DELIVERED),
            WarmupMessage.sent_at >= window_start(today),
        )
    )
    for row in rows:
        key = _day(row)
        if row.sender_id in by_id:
            mine = found[row.sender_id]
            for bucket in (mine.days.setdefault(key, Day()), mine.total):
                bucket.sent += 1
                bucket.landed_inbox += row.landed == Landing.INBOX
                bucket.landed_spam += row.landed == Landing.SPAM
        if row.recipient_id in by_id and row.landed is not None:
            theirs = found[row.recipient_id]
            for bucket in (theirs.days.setdefault(key, Day()), theirs.total):
                bucket.received += 1
    return {account_id: found.get(account_id, Figures()) for account_id in ids}


async def refresh_scores(session: AsyncSession, account_ids: Iterable[uuid.UUID], *, today: date) -> None:
    """Store each account's health score as its `stat_warmup_score`."""
    accounts = list(await session.scalars(select(Account).where(Account.id.in_(list(account_ids)))))
    for account_id, measured in (await figures(session, accounts, today=today)).items():
        await session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(stat_warmup_score=measured.health_score)
            .execution_options(synchronize_session=False)
        )
