"""Runs verifications and stores their attempts: for API requests (inside the synchronous window, then in
the background) and for the engine's loop. One runner per database per process, so both share the
verifier's DNS answers, catch-all knowledge and per-host limits."""

import asyncio
import logging
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.ids import default_worker_id
from coldsend.verification import service as verification_service
from coldsend.verification.domains import DbCatchAllCache
from coldsend.verification.probe.engine import Verifier

log = logging.getLogger(__name__)

_RUNNERS: dict[int, tuple[async_sessionmaker[AsyncSession], "VerificationRunner"]] = {}


class VerificationRunner:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        cache = DbCatchAllCache(sessionmaker, settings.verify_catch_all_ttl_seconds)
        self.verifier = Verifier(settings, catch_all_cache=cache)
        self.owner = default_worker_id()
        self._tasks: set[asyncio.Task[bool]] = set()

    def start(
        self, row_id: uuid.UUID, email: str, *, attempts: int, inline_until: float | None
    ) -> asyncio.Task[bool]:
        """Work on the row in a task this runner keeps until it ends (it may outlive the request)."""
        task = asyncio.create_task(self.work(row_id, email, attempts=attempts, inline_until=inline_until))
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The row keeps its lease until it expires; then an engine worker takes it over.
            log.error("verification task failed", exc_info=task.exception())

    async def work(self, row_id: uuid.UUID, email: str, *, attempts: int, inline_until: float | None) -> bool:
        """Attempts until a final result; a retry that fits before `inline_until` (a monotonic time) is
        waited for here, a later one is left to the engine. True once the result is final."""
        while True:
            outcome = await self.verifier.verify(email)
            attempts += 1
            final = not outcome.transient or attempts >= self.settings.verify_max_attempts
            delay = self.settings.verify_retry_delay_seconds * 2 ** (attempts - 1)
            inline = not final and inline_until is not None and time.monotonic() + delay < inline_until
            async with session_scope(self.sessionmaker) as session:
                held = await verification_service.record(
                    session,
                    row_id=row_id,
                    owner=self.owner,
                    outcome=outcome,
                    attempts=attempts,
                    final=final,
                    retry_in=delay,
                    keep_lease_for=self.settings.verify_lease_seconds if inline else None,
                )
            if held is None or not inline:
                return final and held is not None
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        async with session_scope(self.sessionmaker) as session:
            await verification_service.release(session, owner=self.owner)


def runner_for(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> VerificationRunner:
    found = _RUNNERS.get(id(sessionmaker))
    if found is None or found[0] is not sessionmaker:
        found = _RUNNERS[id(sessionmaker)] = (sessionmaker, VerificationRunner(settings, sessionmaker))
    return found[1]
