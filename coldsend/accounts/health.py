"""Account health: an account whose mail server is unreachable or refuses its login goes to connection
error (-1) and stays there, so nothing is sent from it, until the user resumes it or marks it fixed.

`mark_connection_error` is the one place that status is set: the health loop calls it on IMAP failures,
the sender on SMTP authentication failures.
"""

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import deadlines
from coldsend.accounts import mailbox_settings
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.mail import imap
from coldsend.models import Account, AccountStatus

log = logging.getLogger(__name__)

# Statuses a connection failure overrides; a paused account stays paused (its owner stopped it).
FAILABLE = (AccountStatus.ACTIVE, AccountStatus.MAINTENANCE)
MAX_POLL_SECONDS = 10.0
BATCH = 100
CONCURRENT_CHECKS = 20
# connect and greeting, STARTTLS, TLS handshake, CAPABILITY, LOGIN, LOGOUT: each under its own timeout.
CHECK_STEPS = 6


async def mark_connection_error(
    session: AsyncSession,
    account: Account,
    reason: str,
    *,
    code: str = "ECONNECTION",
    command: str | None = None,
    response: str | None = None,
    response_code: int | None = None,
) -> bool:
    """Put the account in connection error with a status_message saying why; whether it changed.

    The row is re-read under a lock first, so a pause or a fix made meanwhile is not overwritten.
    """
    await session.refresh(account, with_for_update=True)
    if account.status not in FAILABLE:
        return False
    message: dict[str, Any] = {"code": code, "e_message": reason}
    if command is not None:
        message["command"] = command
    if response is not None:
        message["response"] = response
    if response_code is not None:
        message["responseCode"] = response_code
    account.status = AccountStatus.CONNECTION_ERROR
    account.status_message = message
    account.timestamp_updated = utcnow()
    await session.flush()
    log.warning("account %s: connection error (%s): %s", account.email, code, reason)
    return True


async def check_imap(account: Account, settings: Settings) -> tuple[str, str] | None:
    """None when the account logs in to its IMAP server; else (code, reason)."""
    try:
        endpoint = mailbox_settings.imap_endpoint_for(account, settings)
    except InvalidToken:
        return "EDECRYPT", "the stored IMAP password cannot be decrypted (the secret key changed)"
    except imap.ImapError as error:
        return "ECONFIG", str(error)
    deadline = endpoint.timeout * CHECK_STEPS
    try:
        await deadlines.within(imap.check_login(endpoint), deadline)
    except TimeoutError:
        return (
            "ECONNECTION",
            f"IMAP server {endpoint.host}:{endpoint.port} gave no login within {deadline:g} s",
        )
    except imap.ImapAuthError as error:
        return "EAUTH", f"IMAP login refused by {endpoint.host}:{endpoint.port}: {error}"
    except imap.ImapSecurityError as error:
        return "ETLS", f"IMAP {endpoint.host}:{endpoint.port} not logged in to: {error}"
    except imap.ImapError as error:
        return "ECONNECTION", f"IMAP server {endpoint.host}:{endpoint.port} unreachable: {error}"
    return None


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
                    return account.id, await check_imap(account, self.settings)
                except Exception:
                    log.exception("account %s: IMAP check failed", account.id)  # the others still run
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
