"""The engine's verifier loop: finishes pending verifications (retries of greylisted or timed-out ones,
and those whose API process went away) and delivers their webhooks."""

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.webhook_sender import WebhookSender
from coldsend.verification import service as verification_service
from coldsend.verification.runner import runner_for


class VerificationLoop:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.runner = runner_for(settings, sessionmaker)
        self.webhooks = WebhookSender(settings, sessionmaker)
        self._running: set[asyncio.Task[bool]] = set()

    async def run(self, stopping: asyncio.Event) -> None:
        try:
            while not stopping.is_set():
                await self.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.settings.verify_poll_interval)
        finally:
            if stopping.is_set():
                await self.runner.stop()

    async def tick(self) -> None:
        room = self.settings.verify_concurrency - len(self._running)
        async with self.sessionmaker() as session:
            due = await verification_service.any_due(session)
        if room > 0 and due:
            async with session_scope(self.sessionmaker) as session:
                rows = await verification_service.claim_due(
                    session,
                    owner=self.runner.owner,
                    limit=room,
                    lease_seconds=self.settings.verify_lease_seconds,
                )
            for row in rows:
                task = self.runner.start(row.id, row.email, attempts=row.attempts, inline_until=None)
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        await self.webhooks.deliver_due()
