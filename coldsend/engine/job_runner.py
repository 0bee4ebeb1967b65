"""The background-job runner: claims due jobs under an expiring lease and runs their handlers.

Retry policy: a handler that raises is retried `job_retry_delay_seconds` later while the job has had
fewer than `job_max_attempts` attempts, and is then marked failed with its error. Every claim counts
as an attempt, including a takeover after a worker died, so handlers must be idempotent and resume from
their checkpoint data. A dead worker's job is resumed until it has had `job_max_takeovers` attempts:
a job that keeps killing its worker (out of memory, say) then fails instead of taking down every
worker in turn forever.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.ids import default_worker_id
from coldsend.jobs import Handler, JobContext, LeaseLost, update_if_held
from coldsend.models import BackgroundJob, JobStatus

log = logging.getLogger(__name__)


class JobRunner:
    """Claims one due job at a time and runs its handler, renewing the lease until it ends.

    Due means pending with `run_after` passed, or in progress under an expired lease (its worker is
    gone). The claim is one UPDATE over `SELECT ... FOR UPDATE SKIP LOCKED`, so any number of workers
    share a PostgreSQL database; SQLite ignores the locking clause and has a single claimer.
    """

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.handlers = handlers
        self.worker_id = worker_id or settings.job_worker_id or default_worker_id()

    def _lease_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.settings.job_lease_seconds)

    async def run(self, stopping: asyncio.Event) -> None:
        """The engine loop: run due jobs back to back, poll when there are none, until stopped."""
        while not stopping.is_set():
            if await self.run_once(stopping):
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.settings.job_poll_interval)

    async def run_once(self, stopping: asyncio.Event | None = None) -> bool:
        """Claim and run one due job; False when none was due."""
        job = await self.claim()
        if job is None:
            return False
        await self._execute(job, stopping or asyncio.Event())
        return True

    def _abandoned(self, now: datetime) -> ColumnElement[bool]:
        return and_(BackgroundJob.status == JobStatus.IN_PROGRESS, BackgroundJob.lease_expires_at < now)

    def _due(self, now: datetime) -> ColumnElement[bool]:
        return and_(
            BackgroundJob.type.in_(list(self.handlers)),
            or_(
                and_(BackgroundJob.status == JobStatus.PENDING, BackgroundJob.run_after <= now),
                and_(self._abandoned(now), BackgroundJob.attempts < self.settings.job_max_takeovers),
            ),
        )

    def _worn_out(self, now: datetime) -> ColumnElement[bool]:
        """Abandoned by as many dead workers as it may be: failed rather than resumed again."""
        return and_(
            BackgroundJob.type.in_(list(self.handlers)),
            self._abandoned(now),
            BackgroundJob.attempts >= self.settings.job_max_takeovers,
        )

    async def claim(self) -> BackgroundJob | None:
        if not self.handlers:
            return None
        now = utcnow()
        # A read first, so an idle poll never opens a write transaction (SQLite has one writer).
        async with self.sessionmaker() as session:
            waiting = or_(self._due(now), self._worn_out(now))
            if await session.scalar(select(BackgroundJob.id).where(waiting).limit(1)) is None:
                return None
        pick = (
            select(BackgroundJob.id)
            .where(self._due(now))
            .order_by(BackgroundJob.run_after, BackgroundJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with session_scope(self.sessionmaker) as session:
            await session.execute(
                update(BackgroundJob)
                .where(self._worn_out(now))
                .values(
                    status=JobStatus.FAILED,
                    lease_owner=None,
                    lease_expires_at=None,
                    error="its worker stopped without finishing it on every attempt",
                )
                .execution_options(synchronize_session=False)
            )
            job: BackgroundJob | None = await session.scalar(
                update(BackgroundJob)
                # The outer condition is re-checked on the locked row, should it have changed meanwhile.
                .where(BackgroundJob.id == pick, self._due(now))
                .values(
                    status=JobStatus.IN_PROGRESS,
                    lease_owner=self.worker_id,
                    lease_expires_at=now + timedelta(seconds=self.settings.job_lease_seconds),
                    attempts=BackgroundJob.attempts + 1,
                )
                .returning(BackgroundJob)
                .execution_options(synchronize_session=False)
            )
        return job

    async def _execute(self, job: BackgroundJob, stopping: asyncio.Event) -> None:
        ctx = JobContext(
            sessionmaker=self.sessionmaker,
            settings=self.settings,
            worker_id=self.worker_id,
            job_id=job.id,
            type=job.type,
            workspace_id=job.workspace_id,
            entity_type=job.entity_type,
            entity_id=job.entity_id,
            data=dict(job.data),
            attempts=job.attempts,
        )
        log.info("job %s (%s): attempt %d on %s", job.id, job.type, job.attempts, self.worker_id)
        work = asyncio.create_task(self.handlers[job.type](ctx), name=f"job {job.id}")
        heartbeat = asyncio.create_task(self._heartbeat(ctx, work))
        stop = asyncio.create_task(stopping.wait())
        try:
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            heartbeat.cancel()
            stop.cancel()
            work.cancel()
            await asyncio.gather(heartbeat, stop, work, return_exceptions=True)

        if work.cancelled():
            if ctx.lease_lost:
                log.warning("job %s: lease lost to another worker; stopped", job.id)
            else:
                await self._release(ctx)
            return
        error = work.exception()
        if error is None:
            await self._end(ctx, status=JobStatus.SUCCESS, progress=100, error=None)
        elif isinstance(error, LeaseLost):
            log.warning("job %s: lease lost to another worker; stopped", job.id)
        else:
            await self._failed(ctx, error)

    async def _heartbeat(self, ctx: JobContext, work: asyncio.Task[None]) -> None:
        interval = self.settings.job_lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with session_scope(self.sessionmaker) as session:
                    # updated_at is kept: renewing a lease is not a change anyone can see.
                    held = await update_if_held(
                        session,
                        ctx.job_id,
                        self.worker_id,
                        {"lease_expires_at": self._lease_until(), "updated_at": BackgroundJob.updated_at},
                    )
            except Exception:
                log.exception("job %s: lease renewal failed; retrying", ctx.job_id)
                continue
            if not held:
                ctx.lease_lost = True
                work.cancel()
                return

    async def _end(self, ctx: JobContext, **values: Any) -> None:
        async with session_scope(self.sessionmaker) as session:
            held = await update_if_held(
                session, ctx.job_id, self.worker_id, {"lease_expires_at": None, **values}
            )
        if not held:
            log.warning("job %s: lease lost before it could be marked %s", ctx.job_id, values["status"])

    async def _failed(self, ctx: JobContext, error: BaseException) -> None:
        message = str(error) or type(error).__name__
        described = f"{type(error).__name__}: {error}"
        if ctx.attempts < self.settings.job_max_attempts:
            log.warning("job %s: attempt %d failed (%s); will retry", ctx.job_id, ctx.attempts, described)
            retry_at = utcnow() + timedelta(seconds=self.settings.job_retry_delay_seconds)
            await self._end(ctx, status=JobStatus.PENDING, run_after=retry_at, error=described)
        else:
            log.error("job %s: failed after %d attempts", ctx.job_id, ctx.attempts, exc_info=error)
            await self._end(
                ctx, status=JobStatus.FAILED, error=described, data={**ctx.data, "error": message}
            )

    async def _release(self, ctx: JobContext) -> None:
        """Hand an interrupted job back to the queue when this worker stops."""
        await self._end(ctx, status=JobStatus.PENDING, lease_owner=None, run_after=utcnow())
