"""Verification webhooks due now, leased and delivered (verification/webhooks.py: where they may go, what
is posted, and what a failed attempt does)."""

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import outbound
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.models import EmailVerification, WebhookState
from coldsend.verification import service as verification_service
from coldsend.verification import webhooks

BATCH = 20


class WebhookSender:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker

    async def deliver_due(self) -> int:
        """Deliver the webhooks due now (leasing each for the attempt); how many were attempted."""
        now = utcnow()
        lease = timedelta(seconds=self.settings.verify_webhook_timeout_seconds * 3)
        due = and_(
            EmailVerification.webhook_status == WebhookState.PENDING, EmailVerification.webhook_next_at <= now
        )
        async with self.sessionmaker() as session:
            if await session.scalar(select(EmailVerification.id).where(due).limit(1)) is None:
                return 0
        async with session_scope(self.sessionmaker) as session:
            pick = select(EmailVerification.id).where(due).limit(BATCH).with_for_update(skip_locked=True)
            rows = list(
                (
                    await session.scalars(
                        update(EmailVerification)
                        .where(EmailVerification.id.in_(pick.scalar_subquery()), due)
                        .values(webhook_next_at=now + lease)
                        .returning(EmailVerification)
                        .execution_options(synchronize_session=False)
                    )
                ).all()
            )
            credits = {
                workspace_id: await verification_service.credits_left(
                    session, workspace_id=workspace_id, settings=self.settings
                )
                for workspace_id in {row.workspace_id for row in rows}
            }
        async with outbound.client() as client:
            await asyncio.gather(*(self._deliver(client, row, credits[row.workspace_id]) for row in rows))
        return len(rows)

    async def _deliver(self, client: httpx.AsyncClient, row: EmailVerification, credits: int | None) -> None:
        failure, permanent = await webhooks.deliver(client, row, credits, self.settings)
        async with session_scope(self.sessionmaker) as session:
            await webhooks.record_attempt(session, row, failure, permanent=permanent, settings=self.settings)
