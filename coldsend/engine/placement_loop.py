"""The inbox placement loop: each tick, the tests that are due start a run (one transaction per test,
under its row lock), a vanished worker's copies are recovered, the due copies are sent, the seeds of
reading runs are searched, runs whose copies are all found (or past the missing time) get their reports
and automations, campaigns an automation paused for N days resume, and automations' webhook calls are
made. Shared safely by any number of workers on PostgreSQL: a run is started once, a copy sent once, a
report and an automation made once."""

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

import httpx
import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import outbound
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.placement_reader import PlacementReader
from coldsend.engine.placement_sender import PlacementSender
from coldsend.engine.serial import EngineLock
from coldsend.errors import BadRequest
from coldsend.ids import default_worker_id
from coldsend.inbox_placement import automation_webhooks, automations, reading, reports, runs, sending
from coldsend.models import PlacementRun, PlacementTest, RunState

log = logging.getLogger(__name__)
REPORT_LEASE = timedelta(minutes=10)


class PlacementLoop:
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
        self.worker_id = worker_id or settings.job_worker_id or default_worker_id()
        self.sender = PlacementSender(settings, sessionmaker, self.clock, self.lock, self.worker_id)
        self.reader = PlacementReader(settings, sessionmaker, self.clock, self.lock)
        self._stopping: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        self._stopping = stopping
        try:
            while not stopping.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("placement loop tick failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.settings.placement_poll_interval)
        finally:
            await self.close()

    async def close(self) -> None:
        await self.sender.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def start_due(self) -> int:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            due = await runs.due_tests(session, now)
        planned = 0
        for test_id in due:
            try:
                async with self.lock, session_scope(self.sessionmaker) as session:
                    count = await runs.start(session, self.settings, test_id, now)
            except BadRequest as error:
                await self._cannot_start(test_id, str(error))
                continue
            if count:
                log.info("placement test %s: run started, %d copies planned", test_id, count)
            planned += count
        return planned

    async def _cannot_start(self, test_id: uuid.UUID, reason: str) -> None:
        log.warning("placement test %s cannot run: %s", test_id, reason)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await sending.note_not_sending(session, test_id, sending.OTHER)
            test = await session.get(PlacementTest, test_id)
            if test is not None and test.timestamp_next_run is not None:
                test.timestamp_next_run = test.timestamp_next_run + timedelta(hours=1)

    async def finish_due(self) -> int:
        """Reports and automations of every run that is ready for them; how many runs were finished."""
        now = self.clock.now()
        async with self.lock, session_scope(self.sessionmaker) as session:
            await sending.runs_sent(session, self.settings, now)
            await reading.finish_reading(session, now)
            claimed = list(
                await session.scalars(
                    update(PlacementRun)
                    .where(
                        PlacementRun.state == RunState.REPORTING,
                        or_(PlacementRun.lease_expires_at.is_(None), PlacementRun.lease_expires_at < now),
                        PlacementRun.id.in_(
                            select(PlacementRun.id)
                            .where(PlacementRun.state == RunState.REPORTING)
                            .with_for_update(skip_locked=True)
                        ),
                    )
                    .values(lease_owner=self.worker_id, lease_expires_at=now + REPORT_LEASE)
                    .returning(PlacementRun)
                    .execution_options(synchronize_session=False)
                )
            )
        for run in claimed:
            try:
                await self._report(run)
            except Exception:
                log.exception("placement: reports of run %s not made", run.id)
        return len(claimed)

    async def _report(self, run: PlacementRun) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            inputs = await reports.inputs(session, self.settings, run, now)
        made = [await reports.check(item, self.settings) for item in inputs]
        async with self.lock, session_scope(self.sessionmaker) as session:
            fresh = await session.get(PlacementRun, run.id, populate_existing=True)
            if fresh is None or fresh.state != RunState.REPORTING or fresh.lease_owner != self.worker_id:
                return
            await reports.save(session, fresh, made, now)
            await automations.run_automations(session, fresh, now)
            await reports.finish(session, fresh, now)
        log.info("placement run %s: %d reports made", run.id, len(made))

    async def tick(self) -> int:
        """Start, recover, send, read and finish what is due; how much was done."""
        done = await self.start_due()
        await self.sender.recover()
        done += await self.sender.send_due(self._stopping)
        done += await self.reader.read_due()
        done += await self.finish_due()
        async with self.lock, session_scope(self.sessionmaker) as session:
            done += await automations.resume_due(session, self.clock.now())
        done += await self.call_webhooks()
        return done

    async def call_webhooks(self) -> int:
        """The due webhook calls of automations that fired; how many were attempted."""
        async with self.lock, session_scope(self.sessionmaker) as session:
            calls = await automation_webhooks.claim(session, self.clock.now())
        if not calls:
            return 0
        if self._client is None:
            self._client = outbound.client(max_connections=automation_webhooks.CLAIM_BATCH)
        for call in calls:
            posted = await outbound.post(
                self._client,
                call.url,
                orjson.dumps(call.payload),
                automation_webhooks.headers(call),
                allow_private=self.settings.webhook_allow_private,
                nameservers=self.settings.dns_nameservers,
                timeout=self.settings.webhook_timeout_seconds,
            )
            if posted.error is not None:
                log.info("placement automation webhook %s to %s: %s", call.id, call.url, posted.error)
            async with self.lock, session_scope(self.sessionmaker) as session:
                await automation_webhooks.record_attempt(
                    session, call, posted, at=self.clock.now(), settings=self.settings
                )
        return len(calls)
