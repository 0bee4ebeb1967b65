"""The job-handler registry: what a background job's handler registers with and runs under.

engine/job_runner.py claims due jobs and runs the handler registered for their type.
"""

import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.models import BackgroundJob, JobStatus


class LeaseLost(Exception):
    """Another worker has taken the job over: this one must stop working on it."""


@dataclass
class JobContext:
    """A running job as its handler sees it; `progress` checkpoints it under this worker's lease."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    worker_id: str
    job_id: str
    type: str
    workspace_id: uuid.UUID
    entity_type: str | None
    entity_id: str | None
    data: dict[str, Any]
    attempts: int
    lease_lost: bool = False

    async def progress(
        self,
        percent: float,
        data_updates: Mapping[str, Any] | None = None,
        *,
        session: AsyncSession | None = None,
    ) -> None:
        """Commit progress and checkpoint data, renewing the lease; LeaseLost if it is no longer ours.

        Given `session`, the checkpoint joins that unit of work and commits it, so the work and its
        checkpoint land together or not at all (a zombie's last batch is rolled back).
        """
        data = {**self.data, **(data_updates or {})}
        values = {
            "progress": max(0, min(100, int(percent))),
            "data": data,
            "lease_expires_at": utcnow() + timedelta(seconds=self.settings.job_lease_seconds),
        }
        if session is None:
            async with session_scope(self.sessionmaker) as own:
                await self._update_held(own, values)
        else:
            try:
                await self._update_held(session, values)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        self.data = data

    async def _update_held(self, session: AsyncSession, values: Mapping[str, Any]) -> None:
        if not await update_if_held(session, self.job_id, self.worker_id, values):
            self.lease_lost = True
            raise LeaseLost(f"job {self.job_id} is no longer leased to {self.worker_id}")


Handler = Callable[[JobContext], Coroutine[Any, Any, None]]

HANDLERS: dict[str, Handler] = {}


def register(job_type: str) -> Callable[[Handler], Handler]:
    """Make `handler` the one that runs jobs of `job_type`."""

    def decorate(handler: Handler) -> Handler:
        HANDLERS[job_type] = handler
        return handler

    return decorate


async def update_if_held(
    session: AsyncSession, job_id: str, worker_id: str, values: Mapping[str, Any]
) -> bool:
    """Update the job if `worker_id` still holds it; the row lock this takes orders it against claims."""
    held = await session.scalar(
        update(BackgroundJob)
        .where(
            BackgroundJob.id == job_id,
            BackgroundJob.lease_owner == worker_id,
            BackgroundJob.status == JobStatus.IN_PROGRESS,
        )
        .values(**values)
        .returning(BackgroundJob.id)
        .execution_options(synchronize_session=False)
    )
    return held is not None
