"""The engine loop that settles the analytics day rollups' stripes of past days
(coldsend/analytics/folding.py)."""

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.analytics.folding import fold_stripes
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope

log = logging.getLogger(__name__)


class RollupFold:
    """Every `rollup_fold_interval_seconds`, the striped rows of days before today (UTC) folded into one
    per key. Several workers may run it: one folds, the others find the fold taken and wait a turn."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.interval = settings.rollup_fold_interval_seconds

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self.fold()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)

    async def fold(self) -> int:
        async with session_scope(self.sessionmaker) as session:
            settled = await fold_stripes(session, utcnow().date())
        if settled:
            log.info("analytics: %d rollup rows of past days settled", settled)
        return settled
