"""`POST /webhooks/{id}/test`: a sample event posted now, signed and sent the way every delivery is
(the one outbound path, the delivery-time address check included), and recorded in the delivery log."""

from dataclasses import dataclass
from datetime import datetime

import orjson
from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import outbound
from coldsend.clock import iso_z, utcnow
from coldsend.config import Settings
from coldsend.errors import Conflict
from coldsend.ids import new_id
from coldsend.models import Campaign, Webhook, WebhookEvent
from coldsend.webhooks import signing
from coldsend.webhooks.payloads import PAYLOAD_NAMES
from coldsend.webhooks.service import UNREADABLE_SECRET

SAMPLE_LEAD = "test.lead@example.com"
SAMPLE_ACCOUNT = "sender@example.com"


@dataclass(frozen=True, slots=True)
class TestResult:
    success: bool
    message: str
    response_time_ms: int
    status_code: int | None
    error: str | None


async def sample_payload(session: AsyncSession, webhook: Webhook, now: datetime) -> dict[str, object]:
    """What the webhook would receive for an event of its type (`email_sent` for all events or a custom
    label), marked `is_test`."""
    subscribed = webhook.event_type if webhook.event_type not in (None, "all_events") else "email_sent"
    campaign = await session.get(Campaign, webhook.campaign_id) if webhook.campaign_id else None
    return {
        "timestamp": iso_z(now),
        "event_type": PAYLOAD_NAMES.get(subscribed, subscribed),
        "workspace": str(webhook.workspace_id),
        "campaign_id": str(webhook.campaign_id) if webhook.campaign_id else None,
        "campaign_name": campaign.name if campaign else None,
        "lead_email": SAMPLE_LEAD,
        "email_account": SAMPLE_ACCOUNT,
        "step": 1,
        "variant": 1,
        "is_first": True,
        "is_test": True,
    }


async def send_test(session: AsyncSession, settings: Settings, webhook: Webhook) -> TestResult:
    now = utcnow()
    try:
        keys = signing.signing_secrets(settings, webhook, now)
    except InvalidToken:
        raise Conflict(UNREADABLE_SECRET) from None
    delivery_id = new_id()
    payload = await sample_payload(session, webhook, now)
    body = orjson.dumps(payload)
    headers = signing.signed_headers(
        keys=keys, message_id=str(delivery_id), timestamp=now, body=body, own=webhook.headers
    )
    async with outbound.client(max_connections=1) as client:
        posted = await outbound.post(
            client,
            webhook.target_hook_url,
            body,
            headers,
            allow_private=settings.webhook_allow_private,
            nameservers=settings.dns_nameservers,
            timeout=settings.webhook_timeout_seconds,
        )
    success = posted.error is None
    session.add(
        WebhookEvent(
            workspace_id=webhook.workspace_id,
            webhook_id=webhook.id,
            delivery_id=delivery_id,
            timestamp_created=now,
            payload=payload,
            success=success,
            retry_count=0,
            will_retry=False,
            webhook_url=webhook.target_hook_url,
            status_code=posted.status_code,
            error_message=posted.error,
            timestamp_next_retry=None,
            retry_successful=None,
            lead_email=SAMPLE_LEAD,
            response_time_ms=posted.response_time_ms,
        )
    )
    await session.flush()
    return TestResult(
        success=success,
        message="Webhook test successful" if success else "Webhook test failed",
        response_time_ms=posted.response_time_ms,
        status_code=posted.status_code,
        error=posted.error,
    )
