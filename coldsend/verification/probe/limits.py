"""Per-MX-host politeness: at most N probes open at once, and new ones no faster than a set rate."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostLimiter:
    def __init__(self, concurrency: int, rate_per_second: float) -> None:
        self.concurrency = concurrency
        self.interval = 1.0 / rate_per_second
        self._open: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        semaphore = self._open.setdefault(host, asyncio.Semaphore(self.concurrency))
        async with semaphore:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + self.interval
            if start > now:
                await asyncio.sleep(start - now)
            yield
