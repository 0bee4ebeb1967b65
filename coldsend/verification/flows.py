"""POST /email-verification as steps: reuse a fresh result, else start a verification, wait for it up to
the synchronous window, and leave the rest (and the webhook) to the background and the engine."""

import asyncio
import contextlib
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.config import Settings
from coldsend.models import VerificationStatus
from coldsend.verification import service as verification_service
from coldsend.verification.runner import runner_for
from coldsend.verification.schemas import EmailVerification


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    email: str,
    webhook_url: str | None,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> EmailVerification:
    started = time.monotonic()
    row = await verification_service.get(session, workspace_id=workspace_id, email=email)
    if row is not None and verification_service.is_fresh(row, settings):
        if webhook_url is not None and row.verification_status == VerificationStatus.PENDING:
            await verification_service.add_webhook(session, row, webhook_url)
            await verification_service.answered_pending(session, row.id)
        left = await verification_service.credits_left(session, workspace_id=workspace_id, settings=settings)
        return verification_service.shown(row, credits=left, credits_used=0)
    runner = runner_for(settings, sessionmaker)
    row = await verification_service.begin(
        session,
        workspace_id=workspace_id,
        email=email,
        webhook_url=webhook_url,
        settings=settings,
        owner=runner.owner,
    )
    # The row must be visible (and SQLite's write lock free) while the checks run.
    await session.commit()
    deadline = started + settings.verify_sync_window_seconds
    task = runner.start(row.id, row.email, attempts=0, inline_until=deadline)
    # Past the window the task goes on in the background; a failure leaves the row to the engine.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.shield(task), max(0.0, deadline - time.monotonic()))
    await session.refresh(row)
    if row.verification_status == VerificationStatus.PENDING:
        await verification_service.answered_pending(session, row.id)
    left = await verification_service.credits_left(session, workspace_id=workspace_id, settings=settings)
    return verification_service.shown(row, credits=left, credits_used=1)
