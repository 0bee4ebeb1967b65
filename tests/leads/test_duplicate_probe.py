"""The duplicate check of POST /leads/add reads leads by their email, whatever PostgreSQL knows of the table.

PostgreSQL only: the plan is PostgreSQL's. Probed with the campaign in its condition, a campaign the
statistics had not seen (a new one, or a table never analysed) was estimated at one row, and PostgreSQL
read it through (campaign_id, id), every lead of the campaign for each email of the batch.
"""

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.api.app import create_app
from coldsend.leads.repository import _existing_statement
from tests.conftest import BACKENDS, make_settings
from tests.factories import add_leads, create_campaign, create_tenant, id_of

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

LEADS = 2000


async def _plan(maker: async_sessionmaker[AsyncSession], scope: str, **parameters: object) -> str:
    emails = "\n".join(f"new{i}@example.com" for i in range(100))
    statement = _existing_statement("postgresql", scope).params(emails=emails, **parameters)
    async with maker() as session:
        dialect = (await session.connection()).dialect
        sql = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        rows = await session.execute(text("EXPLAIN " + str(sql).replace(":", r"\:")))
        return "\n".join(row[0] for row in rows)


def _reads_by_email(plan: str) -> bool:
    """Each email is looked up in an index on email, never filtered out of the leads another index gave."""
    lines = [line.strip() for line in plan.splitlines()]
    looked_up = any(line.startswith("Index Cond: ((email)::text = wanted.value)") for line in lines)
    filtered = any(line.startswith("Filter:") and "email" in line for line in lines)
    return looked_up and not filtered


async def test_the_probe_reads_by_email_in_a_campaign_statistics_have_not_seen(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> None:
    url, maker = worker_database
    app = create_app(make_settings(url, tmp_path / "data"), run_engine=False)
    async with app.router.lifespan_context(app):
        tenant = await create_tenant(app)
        try:
            full = id_of(await create_campaign(tenant, "Full"))
            for start in range(0, LEADS, 1000):
                await add_leads(tenant, full, [f"lead{i}@example.com" for i in range(start, start + 1000)])
            workspace = tenant.workspace_id
            for analysed in (False, True):
                if analysed:
                    async with maker() as session:
                        await session.execute(text("ANALYZE lead"))
                new = id_of(await create_campaign(tenant, f"New {analysed}"))
                for campaign in (full, new):
                    plan = await _plan(maker, "campaign_id", workspace_id=workspace, container_id=campaign)
                    assert _reads_by_email(plan), plan
                plan = await _plan(maker, "workspace_id", workspace_id=workspace, container_id=None)
                assert _reads_by_email(plan), plan
                plan = await _plan(maker, "list_id", workspace_id=workspace, container_id=uuid.uuid4())
                assert _reads_by_email(plan), plan
        finally:
            await tenant.client.aclose()
