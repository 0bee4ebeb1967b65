"""The warmup loop: each tick, the day's plan for every pool that has none yet (one transaction per pool,
under its lock), the recovery of a vanished worker's messages, the due messages sent, and the pool
mailboxes that are due read. Shared safely by any number of workers on PostgreSQL."""

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.engine.warmup_reader import WarmupReader
from coldsend.engine.warmup_sender import WarmupSender
from coldsend.ids import default_worker_id
from coldsend.warmup import planning, pool

log = logging.getLogger(__name__)


class WarmupLoop:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        lock: EngineLock | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock or Clock()
        self.lock = lock or EngineLock(settings.effective_database_url())
        worker = worker_id or settings.job_worker_id or default_worker_id()
        self.sender = WarmupSender(settings, sessionmaker, self.clock, self.lock, worker)
        self.reader = WarmupReader(settings, sessionmaker, self.clock, self.lock)
        self._stopping: asyncio.Event | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        self._stopping = stopping
        try:
            while not stopping.is_set():
                await self.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.settings.warmup_poll_interval)
        finally:
            await self.sender.close()

    async def plan(self) -> int:
        """Today's plan for every pool that lacks it; how many messages were planned."""
        now = self.clock.now()
        async with self.lock, session_scope(self.sessionmaker) as session:
            await planning.expire_past_days(session, now.date())
            pools = await pool.active_pools(session, self.settings)
        planned = 0
        for pool_id in pools:
            async with self.lock, session_scope(self.sessionmaker) as session:
                count = await planning.plan_pool(session, pool_id, self.settings, now)
            if count:
                log.info("warmup: %d messages planned for %s in pool %s", count, now.date(), pool_id)
            planned += count
        return planned

    async def tick(self) -> int:
        """Plan, recover, send what is due and read the mailboxes that are due; how much was done."""
        done = await self.plan()
        await self.sender.recover()
        done += await self.sender.send_due(self._stopping)
        done += await self.reader.read_due()
        return done

    async def close(self) -> None:
        await self.sender.close()
