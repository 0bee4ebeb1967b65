"""Settling the day rollups' stripes. On PostgreSQL a day's counts go into up to STRIPES rows per key
while writers count them (coldsend/analytics/rollup_sql.py says why); once the day is past, few writers
touch it, and its rows are folded into one (stripe SETTLED), so a 90-day read adds up one row per key
per day, not eight. The sums do not change; SQLite counts into the settled stripe from the start.
"""

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics.rollup_sql import DAY_COUNTERS, DAY_DETAILS, DAY_KEYS, Shape, adding
from coldsend.models.analytics import SETTLED

# One fold at a time: two would upsert the same settled rows, each maybe waiting on the other.
_ONE_FOLD = "SELECT pg_try_advisory_xact_lock(hashtextextended('coldsend analytics fold', 0))"


def fold_statement(table: str) -> str:
    """Moves `table`'s striped rows of days before :before into their settled rows. It takes only the rows
    no writer holds (SKIP LOCKED), so it never waits on a writer's open transaction; a writer counting
    into a row it took waits for it, then adds a new row."""
    grouped = ", ".join((*DAY_KEYS[table], *DAY_DETAILS[table]))
    counters = DAY_COUNTERS[table]
    sums = ", ".join(f"sum({counter})" for counter in counters)
    return (
        f"WITH gone AS (DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
        f"WHERE stripe <> {SETTLED} AND day < :before FOR UPDATE SKIP LOCKED)) RETURNING *) "
        f"INSERT INTO {table} ({grouped}, {', '.join(counters)}, stripe) "
        f"SELECT {grouped}, {sums}, {SETTLED} FROM gone GROUP BY {grouped} "
        f"{adding(table, Shape.STRIPED)}"
    )


async def fold_stripes(session: AsyncSession, before: date) -> int:
    """Settles the stripes of the days before `before`, in the session's transaction; how many settled
    rows that added to. Nothing to do on SQLite, or while another fold runs."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or not await connection.scalar(text(_ONE_FOLD)):
        return 0
    settled = 0
    for table in DAY_KEYS:
        settled += (await connection.execute(text(fold_statement(table)), {"before": before})).rowcount
    return settled
