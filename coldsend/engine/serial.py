"""SQLite has one writer: the engine's loops in one process take turns on it instead of failing with
"database is locked". On PostgreSQL the lock is a no-op and rows are claimed with SKIP LOCKED.

Turns are first come, first served, except for `first()`: the sender's commits before a final dot,
which hold SMTP sessions open mid-message and take a few milliseconds, go before any queued bulk write
(a scheduler tick, a batch's records), so a message waits at most for the write under way."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType


class EngineLock:
    """An asyncio lock with a priority lane on SQLite, nothing on PostgreSQL."""

    def __init__(self, database_url: str) -> None:
        self._serial = database_url.startswith("sqlite")
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._queued: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        await self._acquire(self._queued)

    async def __aexit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._release()

    @asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        """The lock ahead of every waiter that did not ask for it first."""
        await self._acquire(self._urgent)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, lane: deque[asyncio.Future[None]]) -> None:
        if not self._serial:
            return
        if not self._held:
            self._held = True
            return
        turn = asyncio.get_running_loop().create_future()
        lane.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn in lane:
                lane.remove(turn)
            elif turn.done() and not turn.cancelled():
                self._release()  # handed the lock just as it was cancelled: pass it on
            raise

    def _release(self) -> None:
        if not self._serial:
            return
        for lane in (self._urgent, self._queued):
            while lane:
                turn = lane.popleft()
                if not turn.done():
                    turn.set_result(None)  # the lock passes to it, still held
                    return
        self._held = False
