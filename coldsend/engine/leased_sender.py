"""Sending leased rows exactly once, with the campaign sender's care, whatever their table: a due row is
claimed under a lease (SKIP LOCKED on PostgreSQL, so workers share them), committed just before the final
"." of DATA, then recorded as sent. A worker killed mid-send leaves a `sending` row, which goes again with
the same Message-ID (the server never got the dot), or a `committed` one, which is counted as sent. On
PostgreSQL the commit is written on the sender's own connection alongside the dot (see `mail.smtp`), so the
window in which a kill could lose a message is the microseconds between two socket writes. As the campaign
sender does, a batch keeps its lease while it is sent (extended once half has run out), and a row commits
without the pipeline when its lease is nearly over, since a lost lease shows there only after the dot.

A sender names its table (`table`, a `db.leases.LeasedTable`) and what is its own: what a row's message is
(`_outgoing`), what a failure records (`_record_failure`) and what a refused login does (`_login_refused`);
what a batch's rows share can be loaded once (`_claimed`).
"""

import asyncio
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from coldsend.accounts.mailbox_settings import smtp_endpoint_for
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.base import RecordModel
from coldsend.db.leases import LeasedTable
from coldsend.db.session import session_scope
from coldsend.engine.send_commits import DatabaseLine, LeaseLost
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
    WriteDot,
)
from coldsend.models import Account

log = logging.getLogger(__name__)

REFUSED_STAGES = ("rcpt", "data", "dot")
R = TypeVar("R", bound=RecordModel)  # nominal: mypy checks a protocol bound too early for mapped columns


class _Addressed(Protocol):
    @property
    def sender_email(self) -> str | None: ...
    @property
    def recipient_email(self) -> str: ...


@dataclass(frozen=True)
class Outgoing:
    """A claimed row's message: the account that sends it, to whom, and how to build it."""

    account: Account
    rcpt_to: str
    compose: Callable[[], bytes]


class LeasedSender(ABC, Generic[R]):
    """Claims due rows of `table` and sends them over a pooled SMTP connection per account."""

    table: ClassVar[LeasedTable[Any]]
    area: ClassVar[str]  # what log lines begin with: "warmup"
    noun: ClassVar[str]  # one row, as log lines name it: "warmup message"
    plural: ClassVar[str]  # rows, as the recovery's log line counts them: "messages"
    unbuildable: ClassVar[tuple[type[Exception], ...]] = (DkimError, InvalidToken)
    unbuildable_for_good: ClassVar[bool] = False  # a message that cannot be built fails its row at once

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
        engine: AsyncEngine = sessionmaker.kw["bind"]
        self._pipelined = engine.dialect.name == "postgresql"
        self._line = DatabaseLine(engine)
        self._given_back: set[uuid.UUID] = set()  # rows released unsent in this `send_due`
        self._lease_ends = clock.now()  # of the claimed batch's rows still `sending`
        self._lost: set[uuid.UUID] = set()  # rows of the batch whose lease ran out before it was extended

    # --- what each table says -------------------------------------------------------------------------
    async def _claimed(self, batch: list[R]) -> None:
        """Called with each claimed batch before its rows go (to load what they share, once)."""

    @abstractmethod
    async def _outgoing(self, row: R) -> Outgoing | None:
        """The row's message; None when the row cannot go now (and was released or failed)."""

    @abstractmethod
    async def _record_failure(self, session: AsyncSession, row: R, reason: str, *, permanent: bool) -> None:
        """A refusal or a failure to send, recorded under the lease."""

    @abstractmethod
    async def _login_refused(self, row: R, error: SmtpError) -> None:
        """The sending account's SMTP login was refused while sending `row`."""

    # --- the loop -------------------------------------------------------------------------------------
    async def close(self) -> None:
        await self.pool.close()
        await self._line.close()

    async def recover(self) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            requeued, counted = await self.table.recover(session, self.clock.now())
        if requeued or counted:
            log.warning(
                "%s: %d %s of a vanished worker requeued (same Message-IDs), %d committed ones "
                "counted as sent",
                self.area,
                requeued,
                self.plural,
                counted,
            )

    async def send_due(self, stopping: asyncio.Event | None = None) -> int:
        """Send what is due now, a claimed batch at a time; how many rows were processed. A row given back
        unsent (its mailbox cannot send now) waits for the next call, not to be claimed again at once."""
        processed = 0
        self._given_back, self._lost = set(), set()
        while stopping is None or not stopping.is_set():
            now = self.clock.now()
            async with self.lock, session_scope(self.sessionmaker) as session:
                batch: list[R] = await self.table.claim(
                    session, worker_id=self.worker_id, now=now, lease=self.lease, skip=self._given_back
                )
            self._lease_ends = now + self.lease
            if not batch:
                return processed
            processed += len(batch)
            await self._claimed(batch)
            sent: list[uuid.UUID] = []
            try:
                for index, row in enumerate(batch):
                    if stopping is not None and stopping.is_set():
                        await self._release([other.id for other in batch[index:]])
                        break
                    await self._keep_lease(batch[index:])
                    if await self._send(row):
                        sent.append(row.id)
            finally:
                async with self.lock, session_scope(self.sessionmaker) as session:
                    await self.table.record_sent(session, sent, self.worker_id)
        return processed

    async def _keep_lease(self, rows: list[R]) -> None:
        """Extend the lease on the batch's remaining rows once half of it has run out (slow servers):
        a row whose lease ran out may be sent by another worker."""
        now = self.clock.now()
        if self._lease_ends - now > self.lease / 2:
            return
        until = now + self.lease
        async with self.lock, session_scope(self.sessionmaker) as session:
            kept = await self.table.extend(session, [row.id for row in rows], self.worker_id, until)
        self._lost.update(row.id for row in rows if row.id not in kept)
        self._lease_ends = until

    async def _release(self, row_ids: list[uuid.UUID], due_at: datetime | None = None) -> None:
        self._given_back.update(row_ids)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await self.table.release(session, row_ids, self.worker_id, due_at=due_at)

    async def _fail(self, row: R, reason: str, *, permanent: bool) -> None:
        addressed = cast(_Addressed, row)
        log.info("%s from %s to %s: %s", self.noun, addressed.sender_email, addressed.recipient_email, reason)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await self._record_failure(session, row, reason, permanent=permanent)

    async def _send(self, row: R) -> bool:
        """Send one claimed row; whether it went out (committed, to be recorded as sent)."""
        outgoing = await self._outgoing(row)
        if outgoing is None:
            return False
        account = outgoing.account
        try:
            data = outgoing.compose()
            endpoint = smtp_endpoint_for(account, self.settings, self.sessionmaker)
        except self.unbuildable as error:
            await self._fail(row, f"cannot build the message: {error}", permanent=self.unbuildable_for_good)
            return False
        connection = self.pool.get(account.id, endpoint)

        async def commit(write_dot: WriteDot) -> StartCommit | None:
            committed_at = self.clock.now()
            # Pipelined, a lost lease shows only once the dot is out: not when the lease is nearly over.
            lease_left = self._lease_ends - committed_at
            if self._pipelined and lease_left > self.lease / 3 and row.id not in self._lost:
                return await self._prepare_commit(row.id, committed_at)
            async with self.lock, session_scope(self.sessionmaker) as session:
                if not await self.table.mark_committed(session, row.id, self.worker_id, committed_at):
                    raise LeaseLost(f"{self.noun} {row.id} is no longer leased to {self.worker_id}")
                await session.commit()
                write_dot()  # now, not after the session's close and the lock's release
            return None

        try:
            await connection.send(
                mail_from=account.email, rcpt_to=[outgoing.rcpt_to], message=data, before_dot=commit
            )
        except NotCommitted as error:
            log.warning("%s %s not sent (%s)", self.noun, row.id, error.__cause__ or error)
            return False
        except UnconfirmedError as error:
            log.warning("%s %s: no reply to the final dot (%s); counted as sent", self.noun, row.id, error)
        except SmtpAuthError as error:
            self.pool.drop(account.id)
            await self._login_refused(row, error)
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
        statement = self.table.commit_statement(row_id, self.worker_id, committed_at)

        async def run() -> None:
            try:
                status = await raw.execute(statement)
            except BaseException:
                await self._line.close()
                raise
            if status != "UPDATE 1":
                raise LeaseLost(f"{self.noun} {row_id} is no longer leased to {self.worker_id}")

        return lambda: asyncio.ensure_future(run())
