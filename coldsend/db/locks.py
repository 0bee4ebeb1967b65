"""Locks a transaction holds until it ends, for work that must not interleave (check, then write)."""

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Every fixed PostgreSQL advisory lock key, in one place so that no two share a key by accident ("coldsen"
# and a letter, in ASCII). Locks on one row's work take `advisory_key(its id)` instead.
# Held for the migration's transaction, so API nodes and workers started together on an empty database
# migrate one after another (the later ones find the schema at head) instead of racing.
MIGRATION_LOCK = 0x636F6C6473656E64  # "coldsend"
# Nodes started together on an empty database: one creates the first workspace, the others see it.
BOOTSTRAP_LOCK = 0x636F6C6473656E65  # "coldsene"
# One scheduler plans at a time across workers; not the migration's key, or planning would pause while
# any node migrates.
SCHEDULER_LOCK = 0x636F6C6473656E66  # "coldsenf"


def advisory_key(value: uuid.UUID) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit integer) for an id."""
    return value.int & 0x7FFF_FFFF_FFFF_FFFF


async def hold_in_order(session: AsyncSession, keys: Sequence[tuple[uuid.UUID, bool]]) -> None:
    """`hold` each (key, shared) in the order given, in one round trip: PostgreSQL evaluates a SELECT's
    columns left to right, so the locks are taken in that order, each waited for before the next."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await connection.execute(text("DELETE FROM alembic_version WHERE 0"))  # as `hold` does
        return
    functions = [
        f"{'pg_advisory_xact_lock_shared' if shared else 'pg_advisory_xact_lock'}(:key{index})"
        for index, (_, shared) in enumerate(keys)
    ]
    values = {f"key{index}": advisory_key(key) for index, (key, _) in enumerate(keys)}
    await connection.execute(text(f"SELECT {', '.join(functions)}"), values)


async def hold(session: AsyncSession, key: uuid.UUID, *, shared: bool = False) -> None:
    """Wait for, then hold until the transaction ends, the lock named `key`.

    PostgreSQL: a transaction-level advisory lock, exclusive or shared. SQLite has one writer at a time
    and nothing finer: a write that changes nothing takes the database's write lock now rather than at the
    transaction's first INSERT, so every read after it sees what earlier writers committed (reads before
    it ran outside the transaction). `shared` makes no difference there.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await connection.execute(text(f"SELECT {function}(:key)"), {"key": advisory_key(key)})
    else:
        await connection.execute(text("DELETE FROM alembic_version WHERE 0"))
