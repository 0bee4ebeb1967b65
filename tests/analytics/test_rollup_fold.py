"""The fold settles the day rollups' stripes of past days (coldsend/analytics/folding.py) without waiting
on a writer's open transaction and without losing a count a writer adds meanwhile (PostgreSQL: SQLite
counts into the settled stripe from the start)."""

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from coldsend.analytics import folding, rollups
from coldsend.db.session import session_scope
from coldsend.events import event_row, record
from coldsend.models.event import EventType
from tests.analytics.test_rollups import snapshot, striped_rows
from tests.conftest import BACKENDS, Tenant
from tests.factories import add_leads, create_campaign, id_of

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SETTLE_BEFORE = DAY.date() + timedelta(days=2)
KINDS = [EventType.OPENED, EventType.CLICKED, EventType.REPLIED]


@dataclass(frozen=True)
class Step:
    """A lead's first step in its campaign, which the events are about (events.SendStep)."""

    workspace_id: uuid.UUID
    campaign_id: uuid.UUID
    lead_id: uuid.UUID
    id: uuid.UUID = uuid.UUID(int=0)
    subsequence_id: uuid.UUID | None = None
    step: int = 0
    variant: int = 0
    account_email: str = "ann@out.test"

    @property
    def sequence_id(self) -> uuid.UUID:
        return self.campaign_id


async def steps_of_new_leads(tenant: Tenant, count: int) -> list[Step]:
    campaign = id_of(await create_campaign(tenant, "Folded"))
    leads = await add_leads(tenant, campaign, [f"lead{n}@example.com" for n in range(count)])
    return [Step(tenant.workspace_id, campaign, lead) for lead in leads.values()]


def event_on(step: Step, kind: str, rng: random.Random | None = None) -> dict[str, Any]:
    """An event of the step on DAY (on DAY or the next, at random, given `rng`)."""
    when = DAY + (timedelta(days=rng.randrange(2), seconds=rng.randrange(1, 80_000)) if rng else timedelta())
    return event_row(step, kind, timestamp=when)


async def test_the_fold_skips_the_rows_a_writer_holds(app: FastAPI, tenant: Tenant, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's writers count into the settled stripe")
    steps = await steps_of_new_leads(tenant, 4)
    async with session_scope(app.state.sessionmaker) as session:
        await record(session, [event_on(step, EventType.OPENED) for step in steps[:2]])

    engine: AsyncEngine = app.state.sessionmaker.kw["bind"]
    async with engine.connect() as writer:
        # The writer's stripe has a row of the day; then, in its next transaction, it counts into it.
        async with writer.begin():
            await record(AsyncSession(bind=writer), [event_on(steps[2], EventType.OPENED)])
        held = await writer.scalar(text("SELECT 1 + (pg_backend_pid() & 7)"))
        await writer.commit()
        async with writer.begin():
            await record(AsyncSession(bind=writer), [event_on(steps[3], EventType.OPENED)])
            # A fold that waited on the writer's rows would never end here.
            async with session_scope(app.state.sessionmaker) as session:
                await asyncio.wait_for(folding.fold_stripes(session, SETTLE_BEFORE), 60)
            async with app.state.sessionmaker() as session:
                left = set(
                    await session.scalars(
                        text("SELECT stripe FROM analytics_day WHERE stripe <> 0 AND day < :before"),
                        {"before": SETTLE_BEFORE},
                    )
                )
            assert left == {held}  # the held row only

    kept = await snapshot(app)
    async with session_scope(app.state.sessionmaker) as session:
        await folding.fold_stripes(session, SETTLE_BEFORE)
    assert await striped_rows(app) == 0
    assert kept == await snapshot(app)
    async with session_scope(app.state.sessionmaker) as session:
        await rollups.rebuild(session, tenant.workspace_id)
    assert kept == await snapshot(app)


async def test_counts_written_during_folds_are_kept(app: FastAPI, tenant: Tenant, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's writers count into the settled stripe")
    steps = await steps_of_new_leads(tenant, 12)
    writing = True

    async def write(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(40):
            chosen = rng.sample(steps, rng.randrange(1, 4))
            async with session_scope(app.state.sessionmaker) as session:
                await record(session, [event_on(step, rng.choice(KINDS), rng) for step in chosen])

    async def fold() -> int:
        settled = 0
        while writing:
            async with session_scope(app.state.sessionmaker) as session:
                settled += await folding.fold_stripes(session, SETTLE_BEFORE)
            await asyncio.sleep(0)
        return settled

    folds = asyncio.create_task(fold())
    await asyncio.gather(*(write(seed) for seed in range(4)))
    writing = False
    assert await folds > 0

    kept = await snapshot(app)
    async with session_scope(app.state.sessionmaker) as session:
        await rollups.rebuild(session, tenant.workspace_id)
    assert kept == await snapshot(app)
