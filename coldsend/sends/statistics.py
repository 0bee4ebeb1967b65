"""Fresh planner statistics for the tables the scheduler queries, on PostgreSQL.

Autovacuum analyzes a table at best a minute (autovacuum_naptime) after a tenth of it changed. A campaign
launched right after a big import is planned against empty statistics until then, and PostgreSQL picks a
nested-loop anti-join that scans every send for every lead for "leads not contacted yet": 7.7 s a query at
10,000 leads, measured, with the sender idle meanwhile. So the scheduler asks for fresh statistics itself,
at most every `interval` seconds, for the tables that changed by more than a tenth since their last analyze.
"""

import logging
import time

from sqlalchemy import Float, Integer, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

WATCHED = ("lead", "send")
STALE_FRACTION = 0.1
STALE_MINIMUM = 1000  # changed rows below which statistics are never called stale

# The parameters are typed: left to PostgreSQL, `:fraction * n_live_tup` makes the fraction a bigint,
# which asyncpg sends as 0, and every table with a thousand changes was analyzed every interval.
_STALE = text(
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE relname IN :names AND schemaname = current_schema()"
    " AND n_mod_since_analyze > :minimum + :fraction * n_live_tup"
).bindparams(
    bindparam("names", expanding=True),
    bindparam("minimum", type_=Integer),
    bindparam("fraction", type_=Float),
)


class StatisticsKeeper:
    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._next_check = 0.0

    async def refresh(self, session: AsyncSession) -> list[str]:
        """ANALYZE the watched tables whose statistics are stale; the tables analyzed."""
        if (await session.connection()).dialect.name != "postgresql":
            return []
        now = time.monotonic()
        if now < self._next_check:
            return []
        self._next_check = now + self.interval
        rows = await session.execute(
            _STALE, {"names": list(WATCHED), "minimum": STALE_MINIMUM, "fraction": STALE_FRACTION}
        )
        stale = sorted(name for (name,) in rows.all())
        for name in stale:
            await session.execute(text(f'ANALYZE "{name}"'))  # a name from WATCHED, never input
        if stale:
            log.info("analyzed %s: their planner statistics were stale", ", ".join(stale))
        return stale
