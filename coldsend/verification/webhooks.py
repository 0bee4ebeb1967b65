"""Delivers finished verifications to the `webhook_url` given with them: once, retried with backoff."""

import logging
from datetime import timedelta

import httpx
import orjson
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import outbound
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.models import EmailVerification, WebhookState
from coldsend.verification import service as verification_service

log = logging.getLogger(__name__)


async def deliver(
    client: httpx.AsyncClient, row: EmailVerification, credits: int | None, settings: Settings
) -> tuple[str | None, bool]:
    """POST what GET /email-verification/{email} shows; the failure (None when delivered) and whether it
    is for good."""
    assert row.webhook_url is not None
    payload = verification_service.shown(row, credits=credits, credits_used=1).model_dump(mode="json")
    posted = await outbound.post(
        client,
        row.webhook_url,
        orjson.dumps(payload),
        {"Content-Type": "application/json"},
        allow_private=settings.webhook_allow_private,
        nameservers=settings.dns_nameservers,
        timeout=settings.verify_webhook_timeout_seconds,
    )
    return posted.error, posted.refused


async def record_attempt(
    session: AsyncSession, row: EmailVerification, failure: str | None, *, permanent: bool, settings: Settings
) -> None:
    attempts = row.webhook_attempts + 1
    values: dict[str, object] = {"webhook_attempts": attempts}
    if failure is None:
        values |= {"webhook_status": WebhookState.DELIVERED, "webhook_next_at": None}
    elif permanent or attempts >= settings.verify_webhook_max_attempts:
        log.warning("verification webhook for %s failed for good: %s", row.id, failure)
        values |= {"webhook_status": WebhookState.FAILED, "webhook_next_at": None}
    else:
        delay = settings.verify_webhook_retry_delay_seconds * 2 ** (attempts - 1)
        log.info("verification webhook for %s failed (%s); retry in %.0f s", row.id, failure, delay)
        values |= {"webhook_next_at": utcnow() + timedelta(seconds=delay)}
    await session.execute(
        update(EmailVerification)
        .where(EmailVerification.id == row.id, EmailVerification.webhook_status == WebhookState.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
