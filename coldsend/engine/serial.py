"""SQLite has one writer: the engine's loops in one process take turns on it instead of failing with
"database is locked". On PostgreSQL the lock is a no-op and rows are claimed with SKIP LOCKED."""

import asyncio
from types import TracebackType


class EngineLock:
    """An asyncio lock on SQLite, nothing on PostgreSQL."""

    def __init__(self, database_url: str) -> None:
        self._lock = asyncio.Lock() if database_url.startswith("sqlite") else None

    async def __aenter__(self) -> None:
        if self._lock is not None:
            await self._lock.acquire()

    async def __aexit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._lock is not None:
            self._lock.release()
