"""Advisory lock keys: the scheduler plans while another node migrates (their keys differ)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.engine import scheduler

# The key db/migrations/env.py holds while it migrates, in every version (nodes of any version queue on it).
MIGRATION_KEY = 0x636F6C6473656E64


async def test_scheduler_lock_is_free_while_a_node_migrates(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    _url, sessionmaker = worker_database
    async with sessionmaker() as migrating, sessionmaker() as planning:
        await migrating.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_KEY})
        assert await scheduler._try_lock(planning)
