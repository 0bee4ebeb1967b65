"""Sending the day's warmup messages, with the campaign sender's care: a due row is claimed under a lease
(SKIP LOCKED on PostgreSQL, so workers share them), committed just before the final "." of DATA, then
recorded as sent. A worker killed mid-send leaves a `sending` row, which goes again with the same
Message-ID (the server never got the dot), or a `committed` one, which is counted as sent. On PostgreSQL
the commit is written on the sender's own connection alongside the dot (see `mail.smtp`), so the window
in which a kill could lose a message is the microseconds between two socket writes.
"""

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from coldsend.accounts import health
from coldsend.accounts.mailbox_settings import smtp_endpoint_for
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.mail.message import DkimError
from coldsend.mail.pool import ConnectionPool
from coldsend.mail.smtp import (
    NotCommitted,
    SmtpAuthError,
    SmtpError,
    SmtpPermanentError,
    StartCommit,
    UnconfirmedError,
)
from coldsend.models import Account, WarmupMessage
from coldsend.warmup import sending

log = logging.getLogger(__name__)

BOUNCE_STAGES = ("rcpt", "data", "dot")


class LeaseLost(Exception):
    """The row is no longer ours (its lease ran out and another worker took it)."""


class _Line:
    """The sender's own database connection outside any transaction (PostgreSQL), opened on first use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._raw: Any = None

    async def get(self) -> Any:
        if self._raw is None:
            self._connection = await self.engine.connect()
            self._raw = (await self._connection.get_raw_connection()).driver_connection
        return self._raw

    async def close(self) -> None:
        connection, self._connection, self._raw = self._connection, None, None
        if connection is not None:
            await connection.close()


class WarmupSender:
    """Claims due warmup rows and sends them over a pooled SMTP connection per account."""

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
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        self._pipelined = self._engine.dialect.name == "postgresql"
        self._line = _Line(self._engine)

    async def close(self) -> None:
        await self.pool.close()
        await self._line.close()

    async def recover(self) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            requeued, counted = await sending.recover(session, self.clock.now())
        if requeued or counted:
            log.warning(
                "warmup: %d messages of a vanished worker requeued (same Message-IDs), %d committed ones "
                "counted as sent",
                requeued,
                counted,
            )

    async def send_due(self, stopping: asyncio.Event | None = None) -> int:
        """Send what is due now, a claimed batch at a time; how many rows were processed."""
        processed = 0
        while stopping is None or not stopping.is_set():
            async with self.lock, session_scope(self.sessionmaker) as session:
                batch = await sending.claim(
                    session, worker_id=self.worker_id, now=self.clock.now(), lease=self.lease
                )
            if not batch:
                return processed
            processed += len(batch)
            accounts = await self._accounts(batch)
            sent: list[uuid.UUID] = []
            try:
                for index, row in enumerate(batch):
                    if stopping is not None and stopping.is_set():
                        await self._release([other.id for other in batch[index:]])
                        break
                    if await self._send(row, accounts.get(row.sender_id), accounts.get(row.recipient_id)):
                        sent.append(row.id)
            finally:
                async with self.lock, session_scope(self.sessionmaker) as session:
                    await sending.record_sent(session, sent, self.worker_id)
        return processed

    async def _accounts(self, batch: list[WarmupMessage]) -> dict[uuid.UUID, Account]:
        ids = {row.sender_id for row in batch} | {row.recipient_id for row in batch}
        async with self.sessionmaker() as session:
            return {
                account.id: account
                for account in await session.scalars(select(Account).where(Account.id.in_(ids)))
            }

    async def _release(self, row_ids: list[uuid.UUID]) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            await sending.release(session, row_ids, self.worker_id)

    async def _fail(self, row: WarmupMessage, reason: str, *, permanent: bool) -> None:
        log.info("warmup from %s to %s: %s", row.sender_email, row.recipient_email, reason)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await sending.record_failure(
                session, row, self.worker_id, reason, now=self.clock.now(), permanent=permanent
            )

    async def _send(self, row: WarmupMessage, sender: Account | None, recipient: Account | None) -> bool:
        """Send one claimed row; whether it went out (committed, to be recorded as sent)."""
        if sender is None or recipient is None or not sending.sendable(sender, recipient):
            await self._release([row.id])  # a mailbox left the pool for now; expires with its day
            return False
        now = self.clock.now()
        try:
            data = sending.compose(row, sender, recipient, self.settings, now)
            endpoint = smtp_endpoint_for(sender, self.settings, self.sessionmaker)
        except (DkimError, InvalidToken) as error:
            await self._fail(row, f"cannot build the message: {error}", permanent=False)
            return False
        connection = self.pool.get(sender.id, endpoint)

        async def commit() -> StartCommit | None:
            committed_at = self.clock.now()
            if self._pipelined:
                return await self._prepare_commit(row.id, committed_at)
            async with self.lock, session_scope(self.sessionmaker) as session:
                if not await sending.mark_committed(session, row.id, self.worker_id, committed_at):
                    raise LeaseLost(f"warmup message {row.id} is no longer leased to {self.worker_id}")
            return None

        try:
            await connection.send(
                mail_from=sender.email, rcpt_to=[recipient.email], message=data, before_dot=commit
            )
        except NotCommitted as error:
            log.warning("warmup message %s not sent (%s)", row.id, error.__cause__ or error)
            return False
        except UnconfirmedError as error:
            log.warning("warmup message %s: no reply to the final dot (%s); counted as sent", row.id, error)
        except SmtpAuthError as error:
            self.pool.drop(sender.id)
            await self._auth_failed(sender, error)
            await self._release([row.id])
            return False
        except SmtpPermanentError as error:
            await self._fail(row, error.reply, permanent=error.stage in BOUNCE_STAGES)
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
                raise LeaseLost(f"warmup message {row_id} is no longer leased to {self.worker_id}")

        return lambda: asyncio.ensure_future(run())

    async def _auth_failed(self, account: Account, error: SmtpError) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            fresh = await session.get(Account, account.id)
            if fresh is not None:
                await health.mark_connection_error(
                    session,
                    fresh,
                    f"SMTP login refused by {fresh.smtp_host}:{fresh.smtp_port}: {error.reply}",
                    code="EAUTH",
                    command="AUTH",
                    response=error.reply,
                    response_code=error.code,
                )
        log.warning("account %s: SMTP authentication failed during warmup", account.email)
