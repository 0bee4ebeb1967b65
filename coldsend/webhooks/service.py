"""Webhooks: a workspace's subscriptions, their signing secrets, and the replay of failed deliveries.

A subscription names one `event_type` (`all_events` included) or, with a null `event_type`, one custom
lead label by its `custom_interest_value`; never both. Its target must be an http(s) URL whose host is,
and resolves to, public addresses only (unless COLDSEND_WEBHOOK_ALLOW_PRIVATE): checked here at create and
at every change of the URL, and again by the dispatcher at each delivery.
"""

import base64
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.db.repository import get_in_workspace, keyset_page
from coldsend.encryption import InvalidToken, decrypt, encrypt
from coldsend.errors import BadRequest, Conflict
from coldsend.models import Campaign, LeadLabel, Webhook, WebhookDelivery, WebhookStatus
from coldsend.models.webhook import DeliveryState
from coldsend.outbound import UnsafeTarget, literal_target_allowed, pinned_target
from coldsend.webhooks.event_types import CUSTOM, LABELS, STANDARD, EventType
from coldsend.webhooks.schemas import INVALID_URL, EventTypeItem, WebhookCreate, WebhookUpdate

# The Standard Webhooks secret format: `whsec_` and the base64 of the HMAC key.
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24

BOTH_SET = (
    "event_type and custom_interest_value cannot both be set: a custom label's webhook has a null event_type"
)
NEITHER_SET = "one of event_type or custom_interest_value is required"
CAMPAIGN_NOT_FOUND = "campaign not found"
LABEL_NOT_FOUND = (
    "body/custom_interest_value must be the interest_status of one of this workspace's custom lead labels "
    "(GET /api/v2/webhooks/event-types lists them)"
)
DISABLED = "This webhook is disabled (status -1): resume it first (POST /api/v2/webhooks/{id}/resume)"
UNREADABLE_SECRET = (
    "This webhook's secret was stored under another COLDSEND_SECRET_KEY and cannot be read: rotate it"
)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


async def check_target(settings: Settings, url: str) -> None:
    """BadRequest unless the URL may be posted to: its host is, and resolves to, public addresses only
    (any address when private targets are allowed)."""
    allow_private = settings.webhook_allow_private
    if not literal_target_allowed(url, allow_private=allow_private):
        raise BadRequest(
            "body/target_hook_url must not point at a loopback, private or other non-public address"
        )
    try:
        await pinned_target(url, allow_private=allow_private, nameservers=settings.dns_nameservers)
    except UnsafeTarget as refused:
        raise BadRequest(f"body/target_hook_url is refused: {refused}") from None
    except (httpx.InvalidURL, ValueError):  # a host no resolver takes (IDNA, label lengths)
        raise BadRequest(f"body/target_hook_url {INVALID_URL}") from None


def _check_subscription(event_type: str | None, custom_interest_value: int | None) -> None:
    if event_type is not None and custom_interest_value is not None:
        raise BadRequest(BOTH_SET)
    if event_type is None and custom_interest_value is None:
        raise BadRequest(NEITHER_SET)


async def _check_campaign(session: AsyncSession, workspace_id: uuid.UUID, campaign_id: uuid.UUID) -> None:
    if await get_in_workspace(session, Campaign, workspace_id, campaign_id) is None:
        raise BadRequest(CAMPAIGN_NOT_FOUND)


async def _check_label(session: AsyncSession, workspace_id: uuid.UUID, interest_status: int) -> None:
    found = await session.scalar(
        select(LeadLabel.id).where(
            LeadLabel.workspace_id == workspace_id, LeadLabel.interest_status == interest_status
        )
    )
    if found is None:
        raise BadRequest(LABEL_NOT_FOUND)


async def _check(
    session: AsyncSession,
    settings: Settings,
    workspace_id: uuid.UUID,
    values: dict[str, Any],
    given: set[str],
) -> None:
    """The rules of a webhook's `values` (all of them, merged), for the fields `given` in this request.
    The DNS lookup comes before any query, so that a create holds no database connection while it waits."""
    _check_subscription(values["event_type"], values["custom_interest_value"])
    if "target_hook_url" in given:
        await check_target(settings, values["target_hook_url"])
    if "campaign" in given and values["campaign"] is not None:
        await _check_campaign(session, workspace_id, values["campaign"])
    if "custom_interest_value" in given and values["custom_interest_value"] is not None:
        await _check_label(session, workspace_id, values["custom_interest_value"])


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Request field names and values as the row's."""
    stored = dict(values)
    if "campaign" in stored:
        stored["campaign_id"] = stored.pop("campaign")
    if isinstance(stored.get("event_type"), EventType):
        stored["event_type"] = stored["event_type"].value
    return stored


async def create(
    session: AsyncSession, settings: Settings, *, workspace_id: uuid.UUID, webhook_in: WebhookCreate
) -> Webhook:
    values = webhook_in.model_dump()
    await _check(session, settings, workspace_id, values, set(values))
    webhook = Webhook(
        workspace_id=workspace_id,
        status=WebhookStatus.ACTIVE,
        secret=encrypt(settings, new_secret()),
        **_stored(values),
    )
    session.add(webhook)
    await session.flush()
    return webhook


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, webhook_id: uuid.UUID) -> Webhook | None:
    return await get_in_workspace(session, Webhook, workspace_id, webhook_id)


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    campaign_id: uuid.UUID | None = None,
    event_type: EventType | None = None,
) -> tuple[Sequence[Webhook], bool]:
    stmt = select(Webhook).where(Webhook.workspace_id == workspace_id)
    if campaign_id is not None:
        stmt = stmt.where(Webhook.campaign_id == campaign_id)
    if event_type is not None:
        stmt = stmt.where(Webhook.event_type == event_type.value)
    return await keyset_page(session, stmt, key=Webhook.id, limit=limit, after=after)


async def update(
    session: AsyncSession, settings: Settings, webhook: Webhook, *, webhook_in: WebhookUpdate
) -> Webhook:
    given = set(webhook_in.model_fields_set)
    values = {
        "campaign": webhook.campaign_id,
        "event_type": webhook.event_type,
        "custom_interest_value": webhook.custom_interest_value,
        "target_hook_url": webhook.target_hook_url,
        **webhook_in.model_dump(include=given),
    }
    await _check(session, settings, webhook.workspace_id, values, given)
    for field, value in _stored(webhook_in.model_dump(include=given)).items():
        setattr(webhook, field, value)
    await session.flush()
    return webhook


async def delete(session: AsyncSession, webhook: Webhook) -> None:
    """The webhook and its queued deliveries go (the database cascades); its log stays, unlinked."""
    await session.delete(webhook)
    await session.flush()


async def resume(session: AsyncSession, webhook: Webhook) -> Webhook:
    webhook.status = WebhookStatus.ACTIVE
    webhook.timestamp_error = None
    webhook.failing_since = None
    await session.flush()
    return webhook


async def event_types(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[EventTypeItem]:
    """The standard types, then the workspace's custom lead labels by their `custom_interest_value`."""
    labels = await session.execute(
        select(LeadLabel.interest_status, LeadLabel.label)
        .where(LeadLabel.workspace_id == workspace_id)
        .order_by(LeadLabel.id)
    )
    return [EventTypeItem(id=event.value, label=label, type=STANDARD) for event, label in LABELS.items()] + [
        EventTypeItem(id=str(value), label=label, type=CUSTOM) for value, label in labels
    ]


def read_secret(settings: Settings, webhook: Webhook) -> str:
    try:
        return decrypt(settings, webhook.secret)
    except InvalidToken:
        raise Conflict(UNREADABLE_SECRET) from None


async def rotate_secret(session: AsyncSession, settings: Settings, webhook: Webhook, *, now: datetime) -> str:
    """A new secret; the old one keeps signing beside it for `webhook_secret_overlap_seconds`, so that
    deliveries queued before the rotation still verify with it."""
    fresh = new_secret()
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_until = now + timedelta(seconds=settings.webhook_secret_overlap_seconds)
    webhook.secret = encrypt(settings, fresh)
    await session.flush()
    return fresh


async def replay(session: AsyncSession, webhook: Webhook, *, since: datetime, now: datetime) -> int:
    """Queue again, due now, the webhook's failed deliveries created since `since`; how many."""
    if webhook.status == WebhookStatus.ERROR:
        raise Conflict(DISABLED)
    result = await session.execute(
        sql_update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook.id,
            WebhookDelivery.state == DeliveryState.FAILED,
            WebhookDelivery.timestamp_created >= since,
        )
        .values(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)
