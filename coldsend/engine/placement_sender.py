"""Sending the copies of placement runs, with the campaign sender's care: a due copy is claimed under a
lease (SKIP LOCKED on PostgreSQL, so workers share them), committed just before the final "." of DATA,
then recorded as sent. A worker killed mid-send leaves a `sending` copy, which goes again with the same
Message-ID (the server never got the dot), or a `committed` one, which is counted as sent. A copy whose
account is at its daily limit waits (the test says `daily_limits_hit`)."""

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.accounts.mailbox_settings import smtp_endpoint_for
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.engine.warmup_sender import LeaseLost, SenderLine
from coldsend.inbox_placement import sending
from coldsend.mail.message import DkimError
from coldsend.mail.pool import ConnectionPool
from coldsend.mail.render import TemplateError
from coldsend.mail.smtp import (
    NotCommitted,
    SmtpAuthError,
    SmtpError,
    SmtpPermanentError,
    StartCommit,
    UnconfirmedError,
)
from coldsend.models import Account, Campaign, PlacementCopy, PlacementTest

log = logging.getLogger(__name__)

REFUSED_STAGES = ("rcpt", "data", "dot")
LIMIT_WAIT = timedelta(minutes=15)


class PlacementSender:
    """Claims due placement copies and sends them over a pooled SMTP connection per account."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        lock: EngineLock,
        worker_id: str,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.lock = lock
        self.worker_id = worker_id
        self.lease = timedelta(seconds=settings.send_lease_seconds)
        self.pool = ConnectionPool(settings.smtp_idle_seconds)
        engine = sessionmaker.kw["bind"]
        self._pipelined = engine.dialect.name == "postgresql"
        self._line = SenderLine(engine)

    async def close(self) -> None:
        await self.pool.close()
        await self._line.close()

    async def recover(self) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            requeued, counted = await sending.recover(session, self.clock.now())
        if requeued or counted:
            log.warning(
                "placement: %d copies of a vanished worker requeued (same Message-IDs), %d committed ones "
                "counted as sent",
                requeued,
                counted,
            )

    async def send_due(self, stopping: asyncio.Event | None = None) -> int:
        """Send what is due now, a claimed batch at a time; how many copies were processed."""
        processed = 0
        while stopping is None or not stopping.is_set():
            async with self.lock, session_scope(self.sessionmaker) as session:
                batch = await sending.claim(
                    session, worker_id=self.worker_id, now=self.clock.now(), lease=self.lease
                )
            if not batch:
                return processed
            processed += len(batch)
            sent: list[uuid.UUID] = []
            try:
                for index, row in enumerate(batch):
                    if stopping is not None and stopping.is_set():
                        await self._release([other.id for other in batch[index:]])
                        break
                    if await self._send(row):
                        sent.append(row.id)
            finally:
                async with self.lock, session_scope(self.sessionmaker) as session:
                    await sending.record_sent(session, sent, self.worker_id)
        return processed

    async def _release(self, row_ids: list[uuid.UUID], due_at: datetime | None = None) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            await sending.release(session, row_ids, self.worker_id, due_at=due_at)

    async def _fail(self, row: PlacementCopy, reason: str, *, permanent: bool) -> None:
        log.info("placement copy from %s to %s: %s", row.sender_email, row.recipient_email, reason)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await sending.record_failure(
                session, row, self.worker_id, reason, now=self.clock.now(), permanent=permanent
            )

    async def _load(self, row: PlacementCopy) -> tuple[PlacementTest, Account, Campaign | None] | None:
        """The copy's test and account, when the account may send one more email today; else the copy
        is given back (until later, or failed when the account or test is gone)."""
        now = self.clock.now()
        async with self.lock, session_scope(self.sessionmaker) as session:
            test = await session.get(PlacementTest, row.test_id)
            account = await session.get(Account, row.account_id) if row.account_id else None
            if test is None or account is None:
                reason = "the test or its sending account was deleted"
            elif not sending.sendable(account):
                reason = "the sending account is paused or in error"
            elif not await sending.within_limit(session, account, self.settings, now):
                await sending.note_not_sending(session, test.id, sending.DAILY_LIMITS_HIT)
                reason = None
            else:
                await sending.note_not_sending(session, test.id, None)
                campaign = await session.get(Campaign, test.campaign_id) if test.campaign_id else None
                return test, account, campaign
        if reason is None:
            await self._release([row.id], due_at=now + LIMIT_WAIT)
        else:
            await self._fail(row, reason, permanent=True)
        return None

    async def _send(self, row: PlacementCopy) -> bool:
        """Send one claimed copy; whether it went out (committed, to be recorded as sent)."""
        loaded = await self._load(row)
        if loaded is None:
            return False
        test, account, campaign = loaded
        try:
            data = sending.compose(row, test, account, campaign, self.settings, self.clock.now())
            endpoint = smtp_endpoint_for(account, self.settings, self.sessionmaker)
        except (DkimError, InvalidToken, TemplateError) as error:
            await self._fail(row, f"cannot build the message: {error}", permanent=True)
            return False
        connection = self.pool.get(account.id, endpoint)

        async def commit() -> StartCommit | None:
            committed_at = self.clock.now()
            if self._pipelined:
                return await self._prepare_commit(row.id, committed_at)
            async with self.lock, session_scope(self.sessionmaker) as session:
                if not await sending.mark_committed(session, row.id, self.worker_id, committed_at):
                    raise LeaseLost(f"placement copy {row.id} is no longer leased to {self.worker_id}")
            return None

        try:
            await connection.send(
                mail_from=account.email, rcpt_to=[row.recipient_email], message=data, before_dot=commit
            )
        except NotCommitted as error:
            log.warning("placement copy %s not sent (%s)", row.id, error.__cause__ or error)
            return False
        except UnconfirmedError as error:
            log.warning("placement copy %s: no reply to the final dot (%s); counted as sent", row.id, error)
        except SmtpAuthError as error:
            self.pool.drop(account.id)
            await self._fail(row, f"SMTP login refused: {error.reply}", permanent=False)
            return False
        except SmtpPermanentError as error:
            await self._fail(row, error.reply, permanent=error.stage in REFUSED_STAGES)
            return False
        except SmtpError as error:
            await self._fail(row, error.reply, permanent=False)
            return False
        return True

    async def _prepare_commit(self, row_id: uuid.UUID, committed_at: datetime) -> StartCommit:
        raw = await self._line.get()
        statement = sending.commit_statement(row_id, self.worker_id, committed_at)

        async def run() -> None:
            try:
                status = await raw.execute(statement)
            except BaseException:
                await self._line.close()
                raise
            if status != "UPDATE 1":
                raise LeaseLost(f"placement copy {row_id} is no longer leased to {self.worker_id}")

        return lambda: asyncio.ensure_future(run())
