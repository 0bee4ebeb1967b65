"""Acceptance: a move of 10,000 leads whose worker is killed mid-job finishes exactly once on another worker.

PostgreSQL only, like tests/engine/test_worker_kill.py (whose worker processes this reuses): two real
`coldsend worker` processes, SIGKILL for the one holding the job's lease.
"""

import logging
import time
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.background_jobs import service as background_job_service
from coldsend.db.session import session_scope
from coldsend.leads import jobs
from coldsend.leads.bulk_schemas import LeadsMove
from coldsend.models import BackgroundJob, Campaign, EntityType, Lead
from coldsend.workspaces import service as workspace_service
from tests.conftest import BACKENDS
from tests.workers import Worker, kill_lease_holder, lease_pid, wait_for

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

LEADS = 10_000


async def campaign_emails(maker: async_sessionmaker[AsyncSession], campaign_id: uuid.UUID) -> list[str]:
    async with maker() as session:
        found = await session.scalars(select(Lead.email).where(Lead.campaign_id == campaign_id))
        return sorted(email for email in found.all() if email)


@pytest.mark.parametrize("copy_leads", [False, True], ids=["move", "copy"])
async def test_killed_move_finishes_without_duplicates_or_losses(
    copy_leads: bool,
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
    workers: Callable[[str], list[Worker]],
) -> None:
    url, maker = worker_database
    async with session_scope(maker) as session:
        workspace = await workspace_service.create(session, name="Movers", owner_email="m@example.com")
        source, target = (
            Campaign(workspace_id=workspace.id, name=name, campaign_schedule={"schedules": []})
            for name in ("from", "to")
        )
        session.add_all([source, target])
        await session.flush()
        await session.execute(
            insert(Lead),
            [
                {"workspace_id": workspace.id, "campaign_id": source.id, "email": f"lead{n}@example.com"}
                for n in range(LEADS)
            ],
        )
    expected = await campaign_emails(maker, source.id)
    assert len(expected) == LEADS

    pool = workers(url)
    request = LeadsMove(campaign=source.id, to_campaign_id=target.id, copy_leads=copy_leads)
    async with session_scope(maker) as session:
        job = await background_job_service.enqueue(
            session,
            workspace_id=workspace.id,
            type=jobs.MOVE_LEADS,
            entity_type=EntityType.CAMPAIGN,
            entity_id=str(target.id),
            data={"request": request.model_dump(mode="json", exclude_none=True)},
        )
    job_id = job.id
    queued_at = time.monotonic()

    async def load() -> BackgroundJob:
        async with maker() as session:
            found = await session.get(BackgroundJob, job_id)
        assert found is not None
        return found

    async def mid_flight() -> bool:
        current = await load()
        assert current.status in ("pending", "in-progress"), (current.status, current.error)
        return current.status == "in-progress" and 5 <= current.progress <= 60

    await wait_for(mid_flight, 60, "the move to be under way", pool)
    holder, survivor = await kill_lease_holder(pool, load)
    killed_at = time.monotonic()

    at_kill = await load()
    assert (at_kill.status, at_kill.attempts) == ("in-progress", 1)
    moved_at_kill = len(await campaign_emails(maker, target.id))
    assert moved_at_kill == at_kill.data["moved_leads"]  # each batch committed with its checkpoint
    assert 0 < moved_at_kill < LEADS

    async def finished() -> bool:
        current = await load()
        assert current.status != "failed", current.error
        return current.status == "success"

    await wait_for(finished, 120, "the survivor to finish the move", [survivor])
    done = await load()
    log.info(
        "move kill test (%s): killed %.2f s after queueing at %d%% (%d leads moved); "
        "survivor finished %.2f s after the kill",
        "copy" if copy_leads else "move",
        killed_at - queued_at,
        at_kill.progress,
        moved_at_kill,
        time.monotonic() - killed_at,
    )
    assert (done.status, done.progress, done.attempts) == ("success", 100, 2)
    assert lease_pid(done) == survivor.pid
    assert done.data["moved_leads"] == done.data["total"] == LEADS
    assert sorted(done.data["moved_lead_emails"]) == expected
    assert await campaign_emails(maker, target.id) == expected
    assert await campaign_emails(maker, source.id) == (expected if copy_leads else [])
    async with maker() as session:
        total = await session.scalar(select(func.count()).where(Lead.workspace_id == workspace.id))
    assert total == (2 * LEADS if copy_leads else LEADS)
