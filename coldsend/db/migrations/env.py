import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

import coldsend.models  # noqa: F401  (registers every table on Base.metadata)
from coldsend.db.base import Base
from coldsend.db.locks import MIGRATION_LOCK
from coldsend.db.session import create_engine, is_sqlite
from coldsend.db.types import UTCDateTime

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# How often a node that finds another node migrating asks again for the lock.
LOCK_POLL_SECONDS = 0.2


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """Hold PostgreSQL's migration lock for the whole upgrade, so nodes started together migrate once.

    A session lock, because a migration that builds an index CONCURRENTLY commits midway (that would release
    a transaction lock). The others poll for it with short statements instead of waiting inside one: CREATE
    INDEX CONCURRENTLY waits for every transaction older than its snapshot, so a node blocked on the lock
    inside a transaction would deadlock the migrating node.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    lock = {"id": MIGRATION_LOCK}
    while True:
        acquired = connection.execute(text("SELECT pg_try_advisory_lock(:id)"), lock).scalar()
        connection.commit()
        if acquired:
            break
        time.sleep(LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:id)"), lock)
        connection.commit()


def _run(connection: Connection) -> None:
    url = str(connection.engine.url)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(url),
        compare_type=True,
        render_item=_render_item,
    )
    with _migration_lock(connection), context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async(url))


run_migrations_online()
