"""Acceptance: a `coldsend worker` killed mid-job loses its lease, and another worker finishes the job.

PostgreSQL only (workers coordinate through it): two real worker processes, a workspace removal big
enough to be caught half done, SIGKILL for the worker holding the lease.
"""

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.db import migrate
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.models import ApiKey, AuditLog, BackgroundJob, Workspace, WorkspaceGroupMember
from coldsend.workspaces import removal
from coldsend.workspaces import service as workspace_service
from tests.conftest import BACKENDS, create_pg_database, drop_pg_database

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

AUDIT_ROWS = 60_000
BATCH_SIZE = 200  # 300 batches: far more than the few it takes to see progress and kill
LEASE_SECONDS = 2


@pytest.fixture
async def database() -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    url, name = await create_pg_database()
    engine = create_engine(url)
    try:
        # Migrate before the workers start, so they do not race each other to create the schema.
        await asyncio.to_thread(migrate.upgrade, url)
        yield url, create_sessionmaker(engine)
    finally:
        await engine.dispose()
        await drop_pg_database(name)


class Worker:
    def __init__(self, url: str, directory: Path) -> None:
        directory.mkdir()
        self.log_path = directory / "worker.log"
        env = {
            **os.environ,
            "COLDSEND_DATABASE_URL": url,
            "COLDSEND_DATA_DIR": str(directory),
            "COLDSEND_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "COLDSEND_JOB_BATCH_SIZE": str(BATCH_SIZE),
            "COLDSEND_JOB_POLL_INTERVAL": "0.1",
        }
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "coldsend", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[str], list[Worker]]]:
    started: list[Worker] = []

    def start(url: str) -> list[Worker]:
        started.extend(Worker(url, tmp_path / f"worker-{n}") for n in range(2))
        return started

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


async def wait_for(
    check: Callable[[], Awaitable[bool]], timeout: float, what: str, workers: list[Worker]
) -> None:
    """Poll `check` until true; fail with the workers' output on timeout or if one of them exits."""
    deadline = time.monotonic() + timeout
    while not await check():
        exited = [worker for worker in workers if worker.process.poll() is not None]
        if exited or time.monotonic() > deadline:
            logs = "\n".join(f"--- worker {worker.pid}\n{worker.output()}" for worker in workers)
            problem = f"worker {exited[0].pid} exited" if exited else f"timed out after {timeout} s"
            pytest.fail(f"{problem} waiting for {what}\n{logs}")
        await asyncio.sleep(0.005)


def alive_pids(workers: list[Worker]) -> set[int]:
    return {worker.pid for worker in workers if worker.process.poll() is None}


def lease_pid(job: BackgroundJob) -> int:
    assert job.lease_owner is not None
    _host, pid, _nonce = job.lease_owner.rsplit(":", 2)
    return int(pid)


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
    database: tuple[str, async_sessionmaker[AsyncSession]], workers: Callable[[str], list[Worker]]
) -> None:
    url, maker = database
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
    holder_pid = lease_pid(await job())
    assert holder_pid in alive_pids(pool)
    os.kill(holder_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    [holder] = [worker for worker in pool if worker.pid == holder_pid]
    [survivor] = [worker for worker in pool if worker.pid != holder_pid]
    holder.process.wait(timeout=10)

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
