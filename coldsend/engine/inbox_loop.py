"""The inbox loop: every `inbox_poll_seconds`, each account's INBOX is read from where it was left, and
each new message goes through `service.handle` (replies, auto-replies and bounces to our sends).

Mailboxes are claimed by stamping their cursor's `checked_at` (SKIP LOCKED on PostgreSQL), so workers
share them. Messages are handled a chunk at a time, in one transaction with the cursor's move past them,
under a lock on the mailbox: a message is handled once, even when two workers read the same mailbox or
one dies mid-chunk (its chunk is read again by the next poll).
"""

import asyncio
import contextlib
import hashlib
import logging
import uuid
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy import exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import deadlines
from coldsend.accounts import mailbox_settings
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db import locks
from coldsend.db.session import session_scope
from coldsend.inbox import service
from coldsend.mail import imap
from coldsend.mail.imap import FETCH_CHUNK, Fetched, Mailbox
from coldsend.mail.inbound import parse
from coldsend.models import Account, AccountStatus, InboxCursor
from coldsend.sends.bounces import SoftBounceRetry
from coldsend.warmup import tokens

log = logging.getLogger(__name__)

# A paused account still receives replies; one in error cannot be logged in to (the health loop says why).
READABLE = (AccountStatus.ACTIVE, AccountStatus.PAUSED, AccountStatus.MAINTENANCE)
BATCH = 100
CONCURRENT_POLLS = 10
MAX_WAIT_SECONDS = 10.0
FIRST_READ_BACK = timedelta(days=1)


def _message_id(fetched: Fetched, parsed_id: str | None) -> str:
    """The message's own Message-ID, or one derived from its bytes for the few that have none."""
    if parsed_id:
        return parsed_id[:998]
    return f"<{hashlib.sha256(fetched.raw).hexdigest()[:40]}@no-message-id.coldsend.invalid>"


class InboxLoop:
    def __init__(
        self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.soft_bounce_retry = SoftBounceRetry.from_settings(settings)
        self.sessionmaker = sessionmaker
        self.clock = clock or Clock()
        self.interval = timedelta(seconds=settings.inbox_poll_seconds)

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            while await self.poll_due() and not stopping.is_set():
                pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stopping.wait(), min(self.settings.inbox_poll_seconds, MAX_WAIT_SECONDS)
                )

    async def _add_cursors(self, session: AsyncSession) -> None:
        """A cursor for every readable account with IMAP settings that has none yet (not for those in
        error: a batch of them would make the claim that follows come back empty, as if nothing were due)."""
        missing = (
            select(Account.id, literal(0))
            .where(
                Account.imap_host.is_not(None),
                Account.status.in_([int(status) for status in READABLE]),
                ~exists().where(InboxCursor.account_id == Account.id),
            )
            .limit(BATCH)
        )
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        await session.execute(
            dialect.insert(InboxCursor)
            .from_select(["account_id", "last_uid"], missing)
            .on_conflict_do_nothing(index_elements=["account_id"])
        )

    async def _claim(self) -> list[uuid.UUID]:
        now = self.clock.now()
        due = or_(InboxCursor.checked_at.is_(None), InboxCursor.checked_at <= now - self.interval)
        pick = (
            select(InboxCursor.account_id)
            .join(Account, Account.id == InboxCursor.account_id)
            .where(Account.status.in_([int(status) for status in READABLE]), due)
            .order_by(InboxCursor.checked_at.nulls_first(), InboxCursor.account_id)
            .limit(BATCH)
            .with_for_update(of=InboxCursor, skip_locked=True)
        )
        async with session_scope(self.sessionmaker) as session:
            await self._add_cursors(session)
            return list(
                await session.scalars(
                    update(InboxCursor)
                    .where(InboxCursor.account_id.in_(pick), due)
                    .values(checked_at=now)
                    .returning(InboxCursor.account_id)
                    .execution_options(synchronize_session=False)
                )
            )

    async def poll_due(self) -> int:
        """Read every mailbox that is due; how many were read."""
        account_ids = await self._claim()
        limit = asyncio.Semaphore(CONCURRENT_POLLS)

        async def one(account_id: uuid.UUID) -> None:
            async with limit:
                try:
                    await self.poll(account_id)
                except Exception:
                    log.exception("inbox of account %s not read", account_id)  # the others still are

        await asyncio.gather(*(one(account_id) for account_id in account_ids))
        return len(account_ids)

    async def poll(self, account_id: uuid.UUID) -> int:
        """Read one account's new mail; how many messages were handled. IMAP failures, and a read that
        outlasts `inbox_read_deadline_seconds`, are kept on the cursor (`last_error`) and tried again
        next interval."""
        async with self.sessionmaker() as session:
            account = await session.get(Account, account_id)
            cursor = await session.get(InboxCursor, account_id)
        if account is None or cursor is None:
            return 0
        deadline = self.settings.inbox_read_deadline_seconds
        try:
            handled = await deadlines.within(self._read(account, cursor), deadline)
        except TimeoutError:
            # Chunks handled so far are committed with the cursor: the next poll goes on from there.
            log.warning("inbox of account %s: read abandoned after %g s", account_id, deadline)
            await self._finish(account_id, f"read abandoned after {deadline:g} s; read again next poll")
            return 0
        except InvalidToken:
            log.warning("inbox of %s not read: its IMAP password cannot be decrypted", account.email)
            await self._finish(
                account_id, "the stored IMAP password cannot be decrypted (the secret key changed)"
            )
            return 0
        except imap.ImapError as error:
            log.warning("inbox of %s not read: %s", account.email, error)
            await self._finish(account_id, str(error))
            return 0
        await self._finish(account_id, None)
        return handled

    async def _read(self, account: Account, cursor: InboxCursor) -> int:
        endpoint = mailbox_settings.imap_endpoint_for(account, self.settings, self.sessionmaker)
        since = ((cursor.polled_at or account.timestamp_created) - FIRST_READ_BACK).date()
        handled = 0
        async with Mailbox(endpoint) as mailbox:
            new = await mailbox.new_mail(
                uid_validity=cursor.uid_validity, after_uid=cursor.last_uid, since=since
            )
            if new.uid_validity != cursor.uid_validity:
                await self._renumbered(account.id, new.uid_validity)
            chunk: list[Fetched] = []
            async for fetched in mailbox.fetch(new.uids, max_bytes=self.settings.inbox_max_message_bytes):
                chunk.append(fetched)
                if len(chunk) == FETCH_CHUNK:
                    handled += await self._handle(account, new.uid_validity, chunk)
                    chunk = []
            if chunk:
                handled += await self._handle(account, new.uid_validity, chunk)
        return handled

    async def _renumbered(self, account_id: uuid.UUID, uid_validity: int) -> None:
        """A first read, or the server renumbered the mailbox: start over under the new UIDVALIDITY (what
        was handled before is recognised by its Message-ID)."""
        async with session_scope(self.sessionmaker) as session:
            await session.execute(
                update(InboxCursor)
                .where(
                    InboxCursor.account_id == account_id,
                    # Not when another worker reading it too got here first and has moved on.
                    or_(InboxCursor.uid_validity.is_(None), InboxCursor.uid_validity != uid_validity),
                )
                .values(uid_validity=uid_validity, last_uid=0)
            )

    async def _handle(self, account: Account, uid_validity: int, chunk: list[Fetched]) -> int:
        """The chunk's messages not yet handled, and the cursor past them, in one transaction."""
        async with session_scope(self.sessionmaker) as session:
            await locks.hold(session, account.id)
            cursor = await session.get(InboxCursor, account.id, populate_existing=True)
            if cursor is None or cursor.uid_validity != uid_validity:
                return 0
            handled = 0
            now = self.clock.now()
            for fetched in chunk:
                if fetched.uid <= cursor.last_uid:
                    continue  # another worker got here first
                try:
                    async with session.begin_nested():
                        outcome = await self._handle_one(session, account, fetched, now)
                except Exception:
                    # One message that cannot be recorded must not stop the mailbox for good: its
                    # savepoint is rolled back, it is logged, and the cursor moves past it.
                    log.exception("inbox of %s: message uid %d skipped", account.email, fetched.uid)
                    continue
                if outcome not in service.NOT_HANDLED:
                    handled += 1
                    log.info("inbox of %s: %s (uid %d)", account.email, outcome.value, fetched.uid)
            cursor.last_uid = max(cursor.last_uid, chunk[-1].uid)
            return handled

    async def _handle_one(
        self, session: AsyncSession, account: Account, fetched: Fetched, now: datetime
    ) -> service.Outcome:
        message = parse(fetched.raw)
        message_id = _message_id(fetched, message.message_id)
        return await service.handle(
            session,
            account,
            message,
            message_id=message_id,
            retry=self.soft_bounce_retry,
            now=now,
            settings=self.settings,
            warmup_token=tokens.token_in(fetched.raw),
        )

    async def _finish(self, account_id: uuid.UUID, error: str | None) -> None:
        async with session_scope(self.sessionmaker) as session:
            await session.execute(
                update(InboxCursor)
                .where(InboxCursor.account_id == account_id)
                .values(polled_at=self.clock.now(), last_error=error)
            )
