"""The API opens its pool's connections as it starts (PostgreSQL), so a burst of requests finds them open."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from coldsend.api.app import create_app
from coldsend.db.session import create_engine, open_pool
from tests.conftest import make_settings


async def backends_of(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        )
    return int(count or 0)


async def test_the_pool_is_opened_before_any_request(database_url: str, backend: str) -> None:
    engine = create_engine(database_url, pool_size=3, max_overflow=0)
    try:
        await open_pool(engine, 3)
        opened = engine.sync_engine.pool.checkedin()  # type: ignore[attr-defined]
        if backend == "sqlite":
            assert opened == 0  # a file: nothing to open ahead
            return
        assert opened == 3
        observer = create_engine(database_url, pool_size=1, max_overflow=0)
        try:
            before = await backends_of(observer)
            await engine.dispose()
            assert await backends_of(observer) == before - 3
        finally:
            await observer.dispose()
    finally:
        await engine.dispose()


async def test_the_api_starts_with_its_pool_open(database_url: str, backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has no connections to open ahead")
    application = create_app(make_settings(database_url, tmp_path, database_pool_size=3), run_engine=False)
    async with application.router.lifespan_context(application):
        engine: AsyncEngine = application.state.sessionmaker.kw["bind"]
        assert engine.sync_engine.pool.checkedin() == 3  # type: ignore[attr-defined]
