"""The receiving side of warmup: each pool mailbox is read every `warmup_read_seconds` over IMAP. Its spam
folder (`\\Junk`, else a usual name) and then its INBOX are searched for warmup mail (by the token header,
and by the Message-IDs of warmup mail sent to it, for providers that strip headers); where each message
landed is recorded, spam copies are rescued to the INBOX, messages are marked read or important and
answered at the sender's rates, and then filed into the warmup folder (created if missing).

Each step is recorded before it is carried out over IMAP (landing, marks, the reply planned), and what was
carried out after: a worker killed in between leaves at most a message already filed but not marked so,
and never a landing counted twice. Mailboxes are claimed by stamping their ramp row's `read_at` (SKIP
LOCKED on PostgreSQL), so workers share them.
"""

import logging
import uuid
from datetime import timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.accounts.mailbox_settings import imap_endpoint_for
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.mail import imap
from coldsend.mail.imap import Mailbox
from coldsend.models import Account, AccountStatus, WarmupMessage, WarmupRamp, WarmupStatus
from coldsend.warmup import analytics, pool, receiving, tokens

log = logging.getLogger(__name__)

BATCH = 50
INBOX = "INBOX"
NO_SPAM_FOLDER = "no spam folder found (no \\Junk special-use flag and none of the usual names)"


class WarmupReader:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        lock: EngineLock,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.lock = lock
        self.interval = timedelta(seconds=settings.warmup_read_seconds)

    async def _claim(self) -> list[uuid.UUID]:
        now = self.clock.now()
        due = or_(WarmupRamp.read_at.is_(None), WarmupRamp.read_at <= now - self.interval)
        pick = (
            select(WarmupRamp.account_id)
            .join(Account, Account.id == WarmupRamp.account_id)
            .where(
                Account.warmup_status.in_([int(status) for status in pool.READ_STATUSES]),
                Account.status == AccountStatus.ACTIVE,
                Account.imap_host.is_not(None),
                due,
            )
            .order_by(WarmupRamp.read_at.nulls_first(), WarmupRamp.account_id)
            .limit(BATCH)
            .with_for_update(of=WarmupRamp, skip_locked=True)
        )
        async with self.lock, session_scope(self.sessionmaker) as session:
            return list(
                await session.scalars(
                    update(WarmupRamp)
                    .where(WarmupRamp.account_id.in_(pick), due)
                    .values(read_at=now)
                    .returning(WarmupRamp.account_id)
                    .execution_options(synchronize_session=False)
                )
            )

    async def read_due(self) -> int:
        """Read every pool mailbox that is due; how many were read."""
        read = 0
        for account_id in await self._claim():
            try:
                await self.read(account_id)
            except Exception:
                log.exception("warmup: mailbox of account %s not read", account_id)
            read += 1
        return read

    async def read(self, account_id: uuid.UUID) -> None:
        async with self.sessionmaker() as session:
            account = await session.get(Account, account_id)
        if account is None:
            return
        try:
            endpoint = imap_endpoint_for(account, self.settings, self.sessionmaker)
            async with Mailbox(endpoint) as mailbox:
                senders = await self._read(mailbox, account)
            error = None
        except InvalidToken:
            senders, error = set(), "the stored IMAP password cannot be decrypted (the secret key changed)"
        except imap.ImapError as failure:
            senders, error = set(), str(failure)
        if error is not None:
            log.warning("warmup: mailbox of %s not read: %s", account.email, error)
        async with self.lock, session_scope(self.sessionmaker) as session:
            if senders:
                await analytics.refresh_scores(session, senders, today=self.clock.now().date())
            if error is not None:
                await self._note(session, account.id, error)

    async def _note(self, session: AsyncSession, account_id: uuid.UUID, error: str | None) -> None:
        await session.execute(
            update(WarmupRamp)
            .where(WarmupRamp.account_id == account_id)
            .values(read_error=error)
            .execution_options(synchronize_session=False)
        )

    async def _spam_folder(self, mailbox: Mailbox, account: Account) -> str | None:
        """The spam folder; without one the account's warmup is on hold (-2) until one is found."""
        junk = await mailbox.junk_folder()
        status = WarmupStatus.ACTIVE if junk else WarmupStatus.SPAM_FOLDER_UNKNOWN
        async with self.lock, session_scope(self.sessionmaker) as session:
            await session.execute(
                update(Account)
                .where(
                    Account.id == account.id,
                    Account.warmup_status.in_([int(value) for value in pool.READ_STATUSES]),
                    Account.warmup_status != status,
                )
                .values(warmup_status=status)
                .execution_options(synchronize_session=False)
            )
            await self._note(session, account.id, None if junk else NO_SPAM_FOLDER)
        return junk

    async def _found(
        self, mailbox: Mailbox, account: Account, folder: str
    ) -> list[tuple[int, WarmupMessage]]:
        await mailbox.select(folder)
        async with self.sessionmaker() as session:
            pending = await receiving.pending_message_ids(session, account.id)
        matches = [(tokens.HEADER, ""), *(("Message-ID", message_id) for message_id in pending)]
        uids = await mailbox.search_headers(matches)
        fetched = [item async for item in mailbox.fetch(uids, max_bytes=0)]
        async with self.sessionmaker() as session:
            return await receiving.identify(session, self.settings, account, fetched)

    async def _read(self, mailbox: Mailbox, account: Account) -> set[uuid.UUID]:
        """One pass over the spam folder, then the INBOX; the senders whose mail was found."""
        junk = await self._spam_folder(mailbox, account)
        folder = self.settings.warmup_folder
        await mailbox.ensure_folder(folder)
        senders: set[uuid.UUID] = set()
        if junk is not None:
            found = await self._found(mailbox, account, junk)
            senders.update(row.sender_id for _uid, row in found)
            async with self.lock, session_scope(self.sessionmaker) as session:
                actions = await receiving.in_spam(session, self.settings, found, self.clock.now())
            await mailbox.move(actions.rescue, INBOX)
            await mailbox.move(actions.file, folder)
            async with self.lock, session_scope(self.sessionmaker) as session:
                await receiving.done(session, actions, self.clock.now())
        found = await self._found(mailbox, account, INBOX)
        senders.update(row.sender_id for _uid, row in found)
        async with self.lock, session_scope(self.sessionmaker) as session:
            fresh = await session.get(Account, account.id)
            actions = await receiving.in_inbox(
                session, self.settings, fresh or account, found, self.clock.now()
            )
        await mailbox.read(actions.read)
        await mailbox.store_flags(actions.seen, ["\\Seen"])
        await mailbox.store_flags(actions.flag, ["\\Flagged"])
        await mailbox.move(actions.file, folder)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await receiving.done(session, actions, self.clock.now())
        if found:
            log.info("warmup: mailbox of %s read: %d warmup messages in the INBOX", account.email, len(found))
        return senders
