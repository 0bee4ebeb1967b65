"""The account health loop: each active account's IMAP login checked every interval (accounts/health.py
says what a failure does to the account)."""

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.accounts.health import mark_connection_error
from coldsend.accounts.login_check import check_imap
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.models import Account, AccountStatus

log = logging.getLogger(__name__)

MAX_POLL_SECONDS = 10.0
BATCH = 100
CONCURRENT_CHECKS = 20


class AccountHealth:
    """The engine loop: every `account_health_interval_seconds`, each active account's IMAP login
    (the first one an interval after the account was created).

    Accounts are claimed in batches by stamping `health_checked_at` (SKIP LOCKED on PostgreSQL), so
    several workers share the checks and each account is checked once per interval.
    """

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.interval = settings.account_health_interval_seconds

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            while await self.check_due() and not stopping.is_set():
                pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), min(self.interval, MAX_POLL_SECONDS))

    async def _claim(self) -> list[Account]:
        now = utcnow()
        cutoff = now - timedelta(seconds=self.interval)
        # A new account is first checked one interval after it was created.
        due = or_(
            and_(Account.health_checked_at.is_(None), Account.timestamp_created <= cutoff),
            Account.health_checked_at <= cutoff,
        )
        pick = (
            select(Account.id)
            .where(Account.status == AccountStatus.ACTIVE, Account.imap_host.is_not(None), due)
            .order_by(Account.health_checked_at.nulls_first(), Account.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        async with session_scope(self.sessionmaker) as session:
            ids = list(
                await session.scalars(
                    update(Account)
                    .where(Account.id.in_(pick), due)
                    .values(health_checked_at=now)
                    .returning(Account.id)
                    .execution_options(synchronize_session=False)
                )
            )
            if not ids:
                return []
            return list(await session.scalars(select(Account).where(Account.id.in_(ids))))

    async def check_due(self) -> int:
        """Check the accounts that are due; how many were checked."""
        accounts = await self._claim()
        if not accounts:
            return 0
        limit = asyncio.Semaphore(CONCURRENT_CHECKS)

        async def one(account: Account) -> tuple[uuid.UUID, tuple[str, str] | None]:
            async with limit:
                try:
                    return account.id, await check_imap(account, self.settings, self.sessionmaker)
                except Exception:
                    log.exception("account %s: IMAP check failed", account.email)  # the others still run
                    return account.id, None

        results = await asyncio.gather(*(one(account) for account in accounts))
        for account_id, failure in results:
            if failure is not None:
                await self._fail(account_id, *failure)
        return len(accounts)

    async def _fail(self, account_id: uuid.UUID, code: str, reason: str) -> None:
        async with session_scope(self.sessionmaker) as session:
            account = await session.get(Account, account_id)
            if account is not None:
                await mark_connection_error(session, account, reason, code=code, command="LOGIN")
