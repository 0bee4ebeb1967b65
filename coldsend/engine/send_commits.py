"""The sender's commits before the final dot: a claimed row goes `sending` → `committed` once the server
holds the whole body, and the dot is written only after that state is stored (see engine/sender.py).

`CommitWriter` is the one writer of these commits. Every account's pipeline hands its row over and waits;
the writer stores all rows waiting at that moment in one transaction (one UPDATE … RETURNING), ahead of
queued bulk writes on SQLite (`EngineLock.first`), then tells each pipeline whether its row is now
committed. A row's dot is written only after the transaction has committed, so no dot is ever written for
a row a crash could leave `sending`; a row the transaction did not commit (its lease was lost, or the write
failed) gets no dot. The writer writes the committed rows' dots itself, in the turn its commit returns:
a crash in between loses a message counted as sent, and that gap must not also hold the connection's
return to its pool, the lock's release and the wake-up of every waiting pipeline. On PostgreSQL a pipeline
with lease to spare instead writes its commit on its own connection alongside the dot (`prepare_commit`).
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coldsend.clock import Clock
from coldsend.engine.serial import EngineLock
from coldsend.mail.smtp import StartCommit, WriteDot
from coldsend.models import Send, SendState

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The row is no longer ours (its lease ran out and another worker took it)."""


class CommitWriter:
    def __init__(self, engine: AsyncEngine, lock: EngineLock, clock: Clock, worker_id: str) -> None:
        self.engine = engine
        self.lock = lock
        self.clock = clock
        self.worker_id = worker_id
        self._waiting: dict[uuid.UUID, _Waiting] = {}
        self._writing: asyncio.Task[None] | None = None

    async def commit(self, send_id: uuid.UUID, write_dot: WriteDot) -> datetime:
        """Store the row as committed, with every row waiting alongside, and write its dot; when it was
        committed. LeaseLost when it is no longer this worker's `sending` row."""
        answer: asyncio.Future[datetime | None] = asyncio.get_running_loop().create_future()
        self._waiting[send_id] = _Waiting(answer, write_dot)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())
        committed_at = await answer
        if committed_at is None:
            raise LeaseLost(f"send {send_id} is no longer leased to {self.worker_id}")
        return committed_at

    async def _write(self) -> None:
        while self._waiting:
            async with self.lock.first():
                # Taken under the lock: every row that arrived while it was busy goes in this batch.
                batch = {send_id: row for send_id, row in self._waiting.items() if not row.answer.done()}
                self._waiting = {}
                if not batch:
                    continue
                committed_at = self.clock.now()
                try:
                    async with self.engine.connect() as connection:
                        async with connection.begin():
                            committed = await _store(connection, list(batch), self.worker_id, committed_at)
                        for send_id, row in batch.items():
                            row.answer_now(committed_at if send_id in committed else None)
                except BaseException as error:
                    for row in batch.values():
                        if not row.answer.done():
                            row.answer.set_exception(error if isinstance(error, Exception) else LeaseLost())
                    if not isinstance(error, Exception):
                        raise


@dataclass(frozen=True)
class _Waiting:
    answer: asyncio.Future[datetime | None]
    write_dot: WriteDot

    def answer_now(self, committed_at: datetime | None) -> None:
        """Write the dot of a committed row, then wake its pipeline (which then reads the reply)."""
        if self.answer.done():
            return
        if committed_at is not None:
            try:
                self.write_dot()
            except Exception as error:  # its connection is gone: the pipeline sees it at the reply
                log.warning("final dot not written: %r", error)
        self.answer.set_result(committed_at)


async def _store(
    connection: AsyncConnection, ids: list[uuid.UUID], owner: str, committed_at: datetime
) -> set[uuid.UUID]:
    result = await connection.execute(
        update(Send)
        .where(Send.id.in_(ids), Send.state == SendState.SENDING, Send.lease_owner == owner)
        .values(state=SendState.COMMITTED, sent_at=committed_at)
        .returning(Send.id)
    )
    return set(result.scalars())


class DatabaseLine:
    """A pipeline's own database connection, outside any transaction, opened on first use."""

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


async def prepare_commit(send: Send, committed_at: datetime, owner: str, line: DatabaseLine) -> StartCommit:
    """PostgreSQL: the commit as one autocommit statement on the pipeline's own connection, which
    the transport writes alongside the final dot."""
    raw = await line.get()
    quoted = owner.replace("'", "''")
    statement = (
        f"UPDATE send SET state = '{SendState.COMMITTED}', "
        f"sent_at = '{committed_at.isoformat()}'::timestamptz "
        f"WHERE id = '{send.id}'::uuid AND state = '{SendState.SENDING}' AND lease_owner = '{quoted}'"
    )

    async def run() -> None:
        try:
            status = await raw.execute(statement)
        except BaseException:
            await line.close()  # its state is unknown now: the next commit opens a new one
            raise
        if status != "UPDATE 1":
            raise LeaseLost(f"send {send.id} is no longer leased to {owner}")

    return lambda: asyncio.ensure_future(run())
