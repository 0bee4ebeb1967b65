"""Acceptance: a `coldsend worker` killed mid-job loses its lease, and another worker finishes the job.

PostgreSQL only (workers coordinate through it): two real worker processes, a workspace removal big
enough to be caught half done, SIGKILL for the worker holding the lease.
"""

import logging
import time
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.db.session import session_scope
from coldsend.models import ApiKey, AuditLog, BackgroundJob, Workspace, WorkspaceGroupMember
from coldsend.workspaces import removal
from coldsend.workspaces import service as workspace_service
from tests.conftest import BACKENDS
from tests.workers import Worker, kill_lease_holder, lease_pid, wait_for

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

AUDIT_ROWS = 60_000  # 300 batches of tests.workers.BATCH_SIZE


async def count_rows(maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID, job_id: str) -> int:
    total = 0
    async with maker() as session:
        for model, column in removal.PURGED:
            table = model.__table__
            stmt = select(func.count()).select_from(table).where(table.c[column] == workspace_id)
            if model is BackgroundJob:
                stmt = stmt.where(table.c.id != job_id)
            total += await session.scalar(stmt) or 0
        total += await session.scalar(select(func.count()).where(Workspace.id == workspace_id)) or 0
    return total


async def test_killed_worker_is_replaced_and_the_removal_completes(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]], workers: Callable[[str], list[Worker]]
) -> None:
    url, maker = worker_database
    async with session_scope(maker) as session:
        victim = await workspace_service.create(session, name="Removed", owner_email="gone@example.com")
        bystander = await workspace_service.create(session, name="Kept", owner_email="kept@example.com")
        await session.execute(
            insert(AuditLog),
            [
                {"workspace_id": victim.id, "activity_type": 9, "audit_metadata": {"n": n}}
                for n in range(AUDIT_ROWS)
            ],
        )
        await session.execute(
            insert(AuditLog), [{"workspace_id": bystander.id, "activity_type": 9} for _ in range(10)]
        )
        for workspace in (victim, bystander):
            session.add(
                ApiKey(
                    workspace_id=workspace.id,
                    name="k",
                    scopes=["all:all"],
                    key_hash=uuid.uuid4().hex,
                    key_prefix="x",
                )
            )
        session.add(
            WorkspaceGroupMember(
                admin_workspace_id=bystander.id, sub_workspace_id=victim.id, status="accepted"
            )
        )
    victim_id, bystander_id = victim.id, bystander.id
    bystander_rows_before = await count_rows(maker, bystander_id, "")

    pool = workers(url)
    async with session_scope(maker) as session:
        doomed = await session.get(Workspace, victim_id)
        assert doomed is not None
        await removal.schedule(session, doomed, delay_seconds=0)
        job_id = await session.scalar(
            select(BackgroundJob.id).where(
                BackgroundJob.workspace_id == victim_id, BackgroundJob.type == removal.JOB_TYPE
            )
        )
    assert job_id is not None
    scheduled_at = time.monotonic()

    async def job() -> BackgroundJob:
        async with maker() as session:
            found = await session.get(BackgroundJob, job_id)
        assert found is not None
        return found

    async def mid_flight() -> bool:
        current = await job()
        assert current.status in ("pending", "in-progress"), (current.status, current.error)
        return current.status == "in-progress" and 1 <= current.progress <= 99

    await wait_for(mid_flight, 60, "the removal to be under way", pool)
    holder, survivor = await kill_lease_holder(pool, job)
    killed_at = time.monotonic()
    holder_pid = holder.pid

    at_kill = await job()
    assert (at_kill.status, at_kill.attempts, lease_pid(at_kill)) == ("in-progress", 1, holder_pid)
    assert 1 <= at_kill.progress <= 99
    assert await count_rows(maker, victim_id, job_id) > 0

    async def finished() -> bool:
        current = await job()
        assert current.status != "failed", current.error
        return current.status == "success"

    await wait_for(finished, 60, "the survivor to finish the removal", [survivor])
    done = await job()
    log.info(
        "kill test: killed at %.2f s after scheduling, at %d%%; survivor finished %.2f s after the kill",
        killed_at - scheduled_at,
        at_kill.progress,
        time.monotonic() - killed_at,
    )
    assert (done.status, done.progress, done.attempts) == ("success", 100, 2)
    assert lease_pid(done) == survivor.pid
    assert done.data["deleted"] == done.data["total"] == AUDIT_ROWS + 3  # + owner member, key, group link
    assert await count_rows(maker, victim_id, job_id) == 0
    assert await count_rows(maker, bystander_id, "") == bystander_rows_before - 1  # the group link went
    assert survivor.process.poll() is None, survivor.output()
