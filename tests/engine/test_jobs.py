"""The job runner on both backends, driven with real runners and handlers written for the test."""

import asyncio
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.background_jobs import service as background_job_service
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.base import Base
from coldsend.db.session import session_scope
from coldsend.engine.job_runner import JobRunner
from coldsend.errors import Conflict
from coldsend.jobs import HANDLERS, Handler, JobContext, LeaseLost
from coldsend.models import AuditLog, BackgroundJob, Workspace, WorkspaceGroupMember, WorkspaceMember
from coldsend.workspaces import removal
from tests.conftest import MakeKey, MakeTenant, Tenant, make_settings
from tests.waiting import eventually


@pytest.fixture
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


@pytest.fixture
def settings_for(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return make_settings(database_url, tmp_path, **{"job_retry_delay_seconds": 0, **overrides})

    return make


@pytest.fixture
def job_type() -> str:
    """A type of this test's own, so runners here claim no other test's jobs."""
    return f"test-{uuid.uuid4().hex[:12]}"


async def load(maker: async_sessionmaker[AsyncSession], job_id: str) -> BackgroundJob:
    async with maker() as session:
        job = await session.get(BackgroundJob, job_id)
    assert job is not None
    return job


async def enqueue(
    maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID, job_type: str, **fields: Any
) -> str:
    async with session_scope(maker) as session:
        job = await background_job_service.enqueue(
            session, workspace_id=workspace_id, type=job_type, **fields
        )
    return job.id


async def set_fields(maker: async_sessionmaker[AsyncSession], job_id: str, **values: Any) -> None:
    async with session_scope(maker) as session:
        await session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(**values))


def runner(
    settings: Settings,
    maker: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    worker_id: str,
) -> JobRunner:
    return JobRunner(settings, maker, handlers, worker_id=worker_id)


class TestRunner:
    async def test_job_runs_to_success(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        seen: list[JobContext] = []

        async def handler(ctx: JobContext) -> None:
            seen.append(ctx)
            await ctx.progress(50, {"step": 1})
            assert (await load(ctx.sessionmaker, ctx.job_id)).progress == 50

        job_id = await enqueue(
            sessionmaker,
            tenant.workspace_id,
            job_type,
            entity_type="list",
            entity_id="l1",
            data={"given": True},
        )
        worker = runner(settings_for(), sessionmaker, {job_type: handler}, "worker-a")
        assert await worker.run_once() is True
        assert await worker.run_once() is False

        [ctx] = seen
        assert (ctx.job_id, ctx.workspace_id, ctx.entity_type, ctx.entity_id) == (
            job_id,
            tenant.workspace_id,
            "list",
            "l1",
        )
        job = await load(sessionmaker, job_id)
        assert (job.status, job.progress, job.attempts, job.error) == ("success", 100, 1, None)
        assert job.data == {"given": True, "step": 1}
        assert job.lease_owner == "worker-a"
        assert job.lease_expires_at is None

    async def test_waits_for_run_after(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        async def handler(_ctx: JobContext) -> None:
            return None

        job_id = await enqueue(
            sessionmaker, tenant.workspace_id, job_type, run_after=utcnow() + timedelta(hours=1)
        )
        worker = runner(settings_for(), sessionmaker, {job_type: handler}, "worker-a")
        assert await worker.run_once() is False
        await set_fields(sessionmaker, job_id, run_after=utcnow() - timedelta(seconds=1))
        assert await worker.run_once() is True
        assert (await load(sessionmaker, job_id)).status == "success"

    async def test_concurrent_runners_run_each_job_once(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        runs: list[tuple[str, str]] = []

        async def handler(ctx: JobContext) -> None:
            runs.append((ctx.job_id, ctx.worker_id))
            await ctx.progress(50)

        job_ids = {await enqueue(sessionmaker, tenant.workspace_id, job_type) for _ in range(40)}
        settings = settings_for(job_poll_interval=0.01)
        stopping = asyncio.Event()
        loops = [
            asyncio.create_task(
                runner(settings, sessionmaker, {job_type: handler}, f"worker-{n}").run(stopping)
            )
            for n in range(4)
        ]

        async def all_done() -> bool:
            async with sessionmaker() as session:
                statuses = await session.scalars(
                    select(BackgroundJob.status).where(BackgroundJob.id.in_(job_ids))
                )
                return set(statuses) == {"success"}

        try:
            await eventually(all_done, "every job to finish", timeout=60)
        finally:
            stopping.set()
            await asyncio.gather(*loops)
        assert sorted(job_id for job_id, _ in runs) == sorted(job_ids)
        async with sessionmaker() as session:
            attempts = await session.scalars(
                select(BackgroundJob.attempts).where(BackgroundJob.id.in_(job_ids))
            )
            assert set(attempts) == {1}

    async def test_failing_job_is_retried_then_failed(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        async def handler(ctx: JobContext) -> None:
            await ctx.progress(20, {"rows": 10})
            raise RuntimeError(f"mailbox unreachable (attempt {ctx.attempts})")

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        worker = runner(settings_for(job_max_attempts=2), sessionmaker, {job_type: handler}, "worker-a")

        assert await worker.run_once() is True
        job = await load(sessionmaker, job_id)
        assert (job.status, job.attempts) == ("pending", 1)
        assert job.error == "RuntimeError: mailbox unreachable (attempt 1)"
        assert "error" not in job.data

        assert await worker.run_once() is True
        job = await load(sessionmaker, job_id)
        assert (job.status, job.attempts, job.progress) == ("failed", 2, 20)
        assert job.error == "RuntimeError: mailbox unreachable (attempt 2)"
        assert job.data == {"rows": 10, "error": "mailbox unreachable (attempt 2)"}
        assert await worker.run_once() is False

    async def test_retry_waits_for_its_delay(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        async def handler(_ctx: JobContext) -> None:
            raise ValueError("bad row")

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        worker = runner(
            settings_for(job_retry_delay_seconds=3600), sessionmaker, {job_type: handler}, "worker-a"
        )
        assert await worker.run_once() is True
        assert await worker.run_once() is False
        job = await load(sessionmaker, job_id)
        assert job.status == "pending"
        assert job.run_after > utcnow() + timedelta(minutes=59)

    async def test_expired_lease_is_taken_over_and_resumed(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        resumed_from: list[int] = []

        async def handler(ctx: JobContext) -> None:
            resumed_from.append(ctx.data["done"])
            for done in range(ctx.data["done"] + 1, 11):
                await ctx.progress(done * 10, {"done": done})

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        # As a worker that died after its third checkpoint leaves it.
        await set_fields(
            sessionmaker,
            job_id,
            status="in-progress",
            lease_owner="gone-host:4242:dead",
            lease_expires_at=utcnow() + timedelta(hours=1),
            attempts=1,
            progress=30,
            data={"done": 3},
        )
        worker = runner(settings_for(), sessionmaker, {job_type: handler}, "worker-b")
        assert await worker.run_once() is False  # its lease still runs

        await set_fields(sessionmaker, job_id, lease_expires_at=utcnow() - timedelta(seconds=1))
        assert await worker.run_once() is True
        assert resumed_from == [3]
        job = await load(sessionmaker, job_id)
        assert (job.status, job.progress, job.attempts, job.lease_owner) == ("success", 100, 2, "worker-b")
        assert job.data == {"done": 10}

    async def test_a_job_abandoned_by_every_worker_fails_instead_of_resuming(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        ran: list[str] = []

        async def handler(ctx: JobContext) -> None:
            ran.append(ctx.job_id)

        worn_out = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        resumable = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        for job_id, attempts in ((worn_out, 3), (resumable, 2)):
            # As workers killed while running it leave it, `attempts` times over.
            await set_fields(
                sessionmaker,
                job_id,
                status="in-progress",
                lease_owner="gone-host:4242:dead",
                lease_expires_at=utcnow() - timedelta(seconds=1),
                attempts=attempts,
            )
        worker = runner(settings_for(job_max_takeovers=3), sessionmaker, {job_type: handler}, "worker-b")
        assert await worker.run_once() is True
        assert await worker.run_once() is False
        assert ran == [resumable]
        job = await load(sessionmaker, worn_out)
        assert (job.status, job.attempts, job.lease_owner) == ("failed", 3, None)
        assert job.error == "its worker stopped without finishing it on every attempt"
        assert (await load(sessionmaker, resumable)).status == "success"

    async def test_zombie_gets_lease_lost_and_its_work_is_rolled_back(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        started, release = asyncio.Event(), asyncio.Event()
        outcomes: list[str] = []
        marker = f"zombie-{uuid.uuid4().hex}"

        async def handler(ctx: JobContext) -> None:
            if ctx.worker_id == "worker-b":
                await ctx.progress(100, {"by": "b"})
                return
            started.set()
            await release.wait()
            async with ctx.sessionmaker() as session:
                session.add(
                    AuditLog(workspace_id=ctx.workspace_id, activity_type=1, audit_metadata={"m": marker})
                )
                try:
                    await ctx.progress(60, {"by": "a"}, session=session)
                except LeaseLost:
                    outcomes.append("lease lost")
                    raise

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        settings = settings_for()
        zombie = runner(settings, sessionmaker, {job_type: handler}, "worker-a")
        successor = runner(settings, sessionmaker, {job_type: handler}, "worker-b")

        zombie_run = asyncio.create_task(zombie.run_once())
        await asyncio.wait_for(started.wait(), 15)
        # worker-a stalls past its lease (as in a long GC pause or a network partition)...
        await set_fields(sessionmaker, job_id, lease_expires_at=utcnow() - timedelta(seconds=1))
        assert await successor.run_once() is True
        # ...then wakes up and tries to checkpoint its batch.
        release.set()
        assert await asyncio.wait_for(zombie_run, 15) is True

        assert outcomes == ["lease lost"]
        job = await load(sessionmaker, job_id)
        assert (job.status, job.progress, job.attempts, job.lease_owner) == ("success", 100, 2, "worker-b")
        assert job.data == {"by": "b"}
        async with sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(AuditLog.audit_metadata).where(AuditLog.workspace_id == tenant.workspace_id)
                )
            ).all()
        assert {"m": marker} not in rows

    async def test_heartbeat_renews_the_lease(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        async def handler(ctx: JobContext) -> None:
            at_claim = await load(ctx.sessionmaker, ctx.job_id)
            last = at_claim

            async def renewed() -> bool:
                now = await load(ctx.sessionmaker, ctx.job_id)
                assert now.lease_expires_at is not None
                assert last.lease_expires_at is not None
                return now.lease_expires_at > last.lease_expires_at

            # Outlive the 0.3 s lease several times over: only the heartbeat keeps it.
            for _ in range(3):
                await eventually(renewed, "the lease to be renewed")
                last = await load(ctx.sessionmaker, ctx.job_id)
            assert last.lease_owner == "worker-a"
            assert last.updated_at == at_claim.updated_at

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        worker = runner(settings_for(job_lease_seconds=0.3), sessionmaker, {job_type: handler}, "worker-a")
        assert await worker.run_once() is True
        job = await load(sessionmaker, job_id)
        assert (job.status, job.attempts, job.error) == ("success", 1, None)

    async def test_heartbeat_stops_a_handler_whose_lease_was_taken(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        cancelled = asyncio.Event()

        async def handler(_ctx: JobContext) -> None:
            try:
                await asyncio.Event().wait()
            finally:
                cancelled.set()

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        settings = settings_for(job_lease_seconds=0.6)
        stalled = runner(settings, sessionmaker, {job_type: handler}, "worker-a")
        run = asyncio.create_task(stalled.run_once())

        async def claimed_by_a() -> bool:
            return (await load(sessionmaker, job_id)).lease_owner == "worker-a"

        await eventually(claimed_by_a, "worker a to claim the job")
        await set_fields(sessionmaker, job_id, lease_expires_at=utcnow() - timedelta(seconds=1))
        taken = await runner(settings, sessionmaker, {job_type: handler}, "worker-b").claim()
        assert taken is not None
        assert taken.id == job_id
        assert await asyncio.wait_for(run, 15) is True
        assert cancelled.is_set()
        job = await load(sessionmaker, job_id)
        assert (job.status, job.lease_owner, job.attempts) == ("in-progress", "worker-b", 2)

    async def test_stopping_hands_the_job_back(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        tenant: Tenant,
        job_type: str,
    ) -> None:
        started = asyncio.Event()

        async def handler(_ctx: JobContext) -> None:
            started.set()
            await asyncio.Event().wait()

        job_id = await enqueue(sessionmaker, tenant.workspace_id, job_type)
        stopping = asyncio.Event()
        worker = runner(settings_for(), sessionmaker, {job_type: handler}, "worker-a")
        loop = asyncio.create_task(worker.run(stopping))
        await asyncio.wait_for(started.wait(), 15)
        stopping.set()
        await asyncio.wait_for(loop, 15)
        job = await load(sessionmaker, job_id)
        assert (job.status, job.lease_owner, job.lease_expires_at, job.attempts) == ("pending", None, None, 1)
        assert job.run_after <= utcnow()


async def scheduled_workspace(
    maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID, delay: float
) -> None:
    async with session_scope(maker) as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        await removal.schedule(session, workspace, delay_seconds=delay)


async def removal_jobs(
    maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID
) -> list[BackgroundJob]:
    async with maker() as session:
        jobs = await session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.workspace_id == workspace_id, BackgroundJob.type == removal.JOB_TYPE)
            .order_by(BackgroundJob.created_at)
        )
        return list(jobs)


async def rows_of(
    maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID, except_job: str | None = None
) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with maker() as session:
        for model, column in removal.PURGED:
            table = model.__table__
            stmt = select(func.count()).select_from(table).where(table.c[column] == workspace_id)
            if except_job is not None and model is BackgroundJob:
                stmt = stmt.where(table.c.id != except_job)
            counts[f"{model.__tablename__}.{column}"] = await session.scalar(stmt) or 0
        counts["workspace"] = (
            await session.scalar(select(func.count()).where(Workspace.id == workspace_id)) or 0
        )
    return counts


async def run_until_done(
    worker: JobRunner, maker: async_sessionmaker[AsyncSession], job_id: str
) -> BackgroundJob:
    async def done() -> bool:
        await worker.run_once()
        return (await load(maker, job_id)).status in ("success", "failed")

    await eventually(done, "the removal to finish", timeout=60)
    return await load(maker, job_id)


class TestWorkspaceRemoval:
    async def test_schedule_is_idempotent_and_cancel_cancels(
        self, sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
    ) -> None:
        before = utcnow()
        await scheduled_workspace(sessionmaker, tenant.workspace_id, 3600)
        await scheduled_workspace(sessionmaker, tenant.workspace_id, 60)
        [job] = await removal_jobs(sessionmaker, tenant.workspace_id)
        async with sessionmaker() as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None
        assert workspace.scheduled_for_removal_at is not None
        assert workspace.scheduled_for_removal_at == job.run_after
        assert before + timedelta(seconds=3599) < job.run_after < utcnow() + timedelta(seconds=3601)
        assert (job.status, job.entity_type, job.entity_id) == (
            "pending",
            "workspace",
            str(tenant.workspace_id),
        )

        async with session_scope(sessionmaker) as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
            assert workspace is not None
            await removal.cancel(session, workspace)
        [job] = await removal_jobs(sessionmaker, tenant.workspace_id)
        assert job.status == "cancelled"
        async with sessionmaker() as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None
        assert workspace.scheduled_for_removal_at is None

        await scheduled_workspace(sessionmaker, tenant.workspace_id, 3600)
        assert [job.status for job in await removal_jobs(sessionmaker, tenant.workspace_id)] == [
            "cancelled",
            "pending",
        ]

    async def test_a_started_removal_cannot_be_cancelled(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        make_tenant: MakeTenant,
    ) -> None:
        tenant = await make_tenant()
        await scheduled_workspace(sessionmaker, tenant.workspace_id, 0)
        [job] = await removal_jobs(sessionmaker, tenant.workspace_id)
        worker = runner(
            settings_for(), sessionmaker, {removal.JOB_TYPE: HANDLERS[removal.JOB_TYPE]}, "worker-a"
        )
        # Claim without running, as a worker that has just started on it.
        await set_fields(sessionmaker, job.id, run_after=utcnow() - timedelta(days=365))
        claimed = await worker.claim()
        assert claimed is not None
        assert claimed.id == job.id

        async with session_scope(sessionmaker) as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
            assert workspace is not None
            with pytest.raises(Conflict):
                await removal.cancel(session, workspace)
        async with sessionmaker() as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None
        assert workspace.scheduled_for_removal_at is not None

        # That worker dies; a successor finishes the removal.
        await set_fields(sessionmaker, job.id, lease_expires_at=utcnow() - timedelta(seconds=1))
        done = await run_until_done(
            runner(settings_for(), sessionmaker, HANDLERS, "worker-b"), sessionmaker, job.id
        )
        assert (done.status, done.attempts, done.lease_owner) == ("success", 2, "worker-b")
        assert set((await rows_of(sessionmaker, tenant.workspace_id, except_job=job.id)).values()) == {0}

    async def test_removes_every_row_of_the_workspace_only(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        make_tenant: MakeTenant,
        make_key: MakeKey,
    ) -> None:
        victim, bystander = await make_tenant(), await make_tenant()
        await seed(sessionmaker, make_key, victim, bystander, audit_rows=1234)
        await seed(sessionmaker, make_key, bystander, victim, audit_rows=5)
        before = await rows_of(sessionmaker, bystander.workspace_id)
        victim_rows = await rows_of(sessionmaker, victim.workspace_id)

        await scheduled_workspace(sessionmaker, victim.workspace_id, 0)
        [job] = await removal_jobs(sessionmaker, victim.workspace_id)
        worker = runner(settings_for(job_batch_size=100), sessionmaker, HANDLERS, "worker-a")
        done = await run_until_done(worker, sessionmaker, job.id)

        assert (done.status, done.progress, done.attempts, done.error) == ("success", 100, 1, None)
        total = sum(victim_rows.values()) - victim_rows["workspace"]
        assert done.data == {"total": total, "deleted": total}
        after = await rows_of(sessionmaker, victim.workspace_id, except_job=job.id)
        assert set(after.values()) == {0}, after
        linked = {"workspace_group_member.admin_workspace_id", "workspace_group_member.sub_workspace_id"}
        assert await rows_of(sessionmaker, bystander.workspace_id) == {
            name: count - (1 if name in linked else 0) for name, count in before.items()
        }

    async def test_a_successor_resumes_a_half_done_removal(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings_for: Callable[..., Settings],
        make_tenant: MakeTenant,
        make_key: MakeKey,
    ) -> None:
        victim, bystander = await make_tenant(), await make_tenant()
        await seed(sessionmaker, make_key, victim, bystander, audit_rows=500)
        total = sum((await rows_of(sessionmaker, victim.workspace_id)).values()) - 1
        await scheduled_workspace(sessionmaker, victim.workspace_id, 0)
        [job] = await removal_jobs(sessionmaker, victim.workspace_id)

        # A first worker got through 300 audit rows, checkpointed them, and died.
        async with session_scope(sessionmaker) as session:
            first = select(AuditLog.id).where(AuditLog.workspace_id == victim.workspace_id).limit(300)
            ids = (await session.scalars(first)).all()
            await session.execute(delete(AuditLog).where(AuditLog.id.in_(ids)))
        await set_fields(
            sessionmaker,
            job.id,
            status="in-progress",
            lease_owner="gone-host:4242:dead",
            lease_expires_at=utcnow() - timedelta(seconds=1),
            attempts=1,
            progress=300 * 100 // total,
            data={"total": total, "deleted": 300},
        )
        worker = runner(settings_for(job_batch_size=64), sessionmaker, HANDLERS, "worker-b")
        done = await run_until_done(worker, sessionmaker, job.id)
        assert (done.status, done.attempts, done.lease_owner) == ("success", 2, "worker-b")
        assert done.data == {"total": total, "deleted": total}
        assert set((await rows_of(sessionmaker, victim.workspace_id, except_job=job.id)).values()) == {0}

    def test_purge_list_covers_every_workspace_table(self) -> None:
        purged = {(model.__tablename__, column) for model, column in removal.PURGED}
        owned: set[tuple[str, str]] = set()
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                points_at_workspace = any(fk.column.table.name == "workspace" for fk in column.foreign_keys)
                if table.name != "workspace" and (
                    points_at_workspace or column.name.endswith("workspace_id")
                ):
                    owned.add((table.name, column.name))
        assert owned == purged


async def seed(
    maker: async_sessionmaker[AsyncSession],
    make_key: MakeKey,
    tenant: Tenant,
    other: Tenant,
    *,
    audit_rows: int,
) -> None:
    """Rows of every workspace-owned kind, including a group link to `other` and a job of its own."""
    await make_key(tenant.workspace_id, ["leads:read"])
    async with session_scope(maker) as session:
        await session.execute(
            insert(AuditLog),
            [
                {"workspace_id": tenant.workspace_id, "activity_type": 9, "audit_metadata": {"n": n}}
                for n in range(audit_rows)
            ],
        )
        session.add(
            WorkspaceGroupMember(
                admin_workspace_id=tenant.workspace_id, sub_workspace_id=other.workspace_id, status="accepted"
            )
        )
        owner = await session.scalar(
            select(WorkspaceMember.user_id).where(WorkspaceMember.workspace_id == tenant.workspace_id)
        )
        assert owner is not None
        session.add(
            WorkspaceMember(
                workspace_id=tenant.workspace_id,
                user_id=owner,
                email=f"{uuid.uuid4().hex}@example.com",
                role="editor",
            )
        )
        await background_job_service.enqueue(session, workspace_id=tenant.workspace_id, type="import-leads")
