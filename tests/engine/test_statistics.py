"""The scheduler refreshes planner statistics that autovacuum has not caught up with (PostgreSQL)."""

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import ManualClock
from coldsend.db.session import session_scope
from coldsend.engine.scheduler import Scheduler
from coldsend.engine.serial import EngineLock
from coldsend.models import Campaign, Lead
from coldsend.sends.statistics import STALE_FRACTION, STALE_MINIMUM, StatisticsKeeper
from coldsend.workspaces import service as workspace_service
from tests.conftest import BACKENDS, make_settings
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

LEADS = 5000


async def lead_statistics(maker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with maker() as session:
        row = (
            await session.execute(
                text(
                    "SELECT n_mod_since_analyze, last_analyze FROM pg_stat_user_tables"
                    " WHERE relname = 'lead' AND schemaname = current_schema()"
                )
            )
        ).one()
    return dict(row._mapping)


async def import_leads(
    maker: async_sessionmaker[AsyncSession], campaign: Campaign, first: int, count: int
) -> None:
    """`count` leads into the campaign, then waits for pg_stat_user_tables to count them."""
    before = int((await lead_statistics(maker))["n_mod_since_analyze"])
    async with session_scope(maker) as session:
        rows = [
            {
                "id": uuid.uuid4(),
                "workspace_id": campaign.workspace_id,
                "campaign_id": campaign.id,
                "email": f"l{n}@x.io",
            }
            for n in range(first, first + count)
        ]
        await session.execute(insert(Lead), rows)

    async def counted() -> bool:
        return int((await lead_statistics(maker))["n_mod_since_analyze"]) >= before + count

    await eventually(counted, "the import to show in pg_stat_user_tables")


async def launch(maker: async_sessionmaker[AsyncSession]) -> Campaign:
    async with session_scope(maker) as session:
        # Autovacuum off for the table: only the scheduler may analyze it in these tests.
        await session.execute(text("ALTER TABLE lead SET (autovacuum_enabled = false)"))
        workspace = await workspace_service.create(session, name="Stats", owner_email="stats@example.com")
        campaign = Campaign(workspace_id=workspace.id, name="Big launch", campaign_schedule={"schedules": []})
        session.add(campaign)
    return campaign


async def test_a_tick_analyzes_leads_imported_since_the_last_statistics(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> None:
    url, maker = worker_database
    await import_leads(maker, await launch(maker), 0, LEADS)
    assert (await lead_statistics(maker))["last_analyze"] is None

    settings = make_settings(url, tmp_path)
    scheduler = Scheduler(settings, maker, ManualClock(), EngineLock(url))
    await scheduler.tick()

    async def analyzed() -> bool:
        statistics = await lead_statistics(maker)
        return statistics["last_analyze"] is not None and int(statistics["n_mod_since_analyze"]) == 0

    await eventually(analyzed, "the scheduler's ANALYZE to show in pg_stat_user_tables")


async def test_statistics_are_stale_only_past_a_tenth_of_the_table(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    """Past STALE_MINIMUM changes plus STALE_FRACTION of the live rows, not past STALE_MINIMUM alone:
    analyzing a big table each time a thousand of its rows changed would cost the scheduler more than
    planning."""
    _url, maker = worker_database
    campaign = await launch(maker)
    await import_leads(maker, campaign, 0, LEADS)
    async with session_scope(maker) as session:
        assert await StatisticsKeeper().refresh(session) == ["lead"]

    def stale(changed: int, live: int) -> bool:
        return changed > STALE_MINIMUM + STALE_FRACTION * live

    # 1,200 changes over 6,200 live rows: past the minimum, short of the tenth.
    assert 1200 > STALE_MINIMUM
    assert not stale(1200, LEADS + 1200)
    await import_leads(maker, campaign, LEADS, 1200)
    async with session_scope(maker) as session:
        assert await StatisticsKeeper().refresh(session) == []

    assert stale(1800, LEADS + 1800)
    await import_leads(maker, campaign, LEADS + 1200, 600)
    async with session_scope(maker) as session:
        assert await StatisticsKeeper().refresh(session) == ["lead"]
