"""Which deliveries a dispatcher works on: claimed under a lease when due, renewed while they wait for
their host, handed back when they are not attempted.

Due means pending, `next_attempt_at` passed, its webhook active (a disabled webhook's deliveries wait
until it is resumed), and not leased, or leased by a worker whose lease ran out (it died). The claim is
one UPDATE over `SELECT ... FOR UPDATE SKIP LOCKED`, so any number of workers share a PostgreSQL
database; SQLite ignores the locking clause and its single writer serialises the claims.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.fernet import InvalidToken
from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.models import DeliveryState, Webhook, WebhookDelivery, WebhookStatus
from coldsend.webhooks import signing


@dataclass(frozen=True, slots=True)
class Due:
    """A claimed delivery and what its attempt needs: where it goes and the secrets that sign it
    (None when they cannot be decrypted: the server's secret key changed)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    webhook_id: uuid.UUID
    attempt: int  # 0 for the first
    payload: dict[str, Any]
    lead_email: str | None
    url: str
    host: str  # the URL's, lowercased: what the per-host limit counts
    headers: dict[str, Any] | None
    keys: tuple[str, ...] | None

    def body(self) -> bytes:
        return orjson.dumps(self.payload)

    def request_headers(self, body: bytes, signed_at: datetime) -> dict[str, str]:
        assert self.keys is not None
        return signing.signed_headers(
            keys=list(self.keys), message_id=str(self.id), timestamp=signed_at, body=body, own=self.headers
        )


def _due(now: datetime) -> ColumnElement[bool]:
    active = exists().where(Webhook.id == WebhookDelivery.webhook_id, Webhook.status == WebhookStatus.ACTIVE)
    return and_(
        WebhookDelivery.state == DeliveryState.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.lease_expires_at.is_(None), WebhookDelivery.lease_expires_at < now),
        active,
    )


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """A read first, so an idle poll never opens a write transaction (SQLite has one writer)."""
    return await session.scalar(select(WebhookDelivery.id).where(_due(now)).limit(1)) is not None


async def claim_due(
    session: AsyncSession,
    settings: Settings,
    *,
    now: datetime,
    owner: str,
    lease: timedelta,
    limit: int,
    skip_webhooks: Collection[uuid.UUID] = (),
) -> list[Due]:
    """Lease up to `limit` due deliveries to `owner`, the longest waiting first, leaving out those of
    `skip_webhooks` (their host has enough queued on this worker)."""
    conditions = [_due(now)]
    if skip_webhooks:
        conditions.append(WebhookDelivery.webhook_id.not_in(list(skip_webhooks)))
    # A materialized CTE: as a plain IN (subquery), PostgreSQL may run the subquery more than once and
    # update more rows than its LIMIT.
    pick = (
        select(WebhookDelivery.id)
        .where(*conditions)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rows = list(
        await session.scalars(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(select(pick.c.id)), WebhookDelivery.state == DeliveryState.PENDING)
            .values(lease_owner=owner, lease_expires_at=now + lease)
            .returning(WebhookDelivery)
            .execution_options(synchronize_session=False)
        )
    )
    if not rows:
        return []
    webhooks = {
        webhook.id: webhook
        for webhook in await session.scalars(
            select(Webhook).where(Webhook.id.in_({row.webhook_id for row in rows}))
        )
    }
    keys = {webhook_id: _keys(settings, webhook, now) for webhook_id, webhook in webhooks.items()}
    hosts = {
        webhook_id: (urlsplit(webhook.target_hook_url).hostname or "").lower()
        for webhook_id, webhook in webhooks.items()
    }
    claimed = [
        Due(
            id=row.id,
            workspace_id=row.workspace_id,
            webhook_id=row.webhook_id,
            attempt=row.attempts,
            payload=row.payload,
            lead_email=row.lead_email,
            url=webhooks[row.webhook_id].target_hook_url,
            host=hosts[row.webhook_id],
            headers=webhooks[row.webhook_id].headers,
            keys=keys[row.webhook_id],
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda due: due.id)


def _keys(settings: Settings, webhook: Webhook, now: datetime) -> tuple[str, ...] | None:
    try:
        return tuple(signing.signing_secrets(settings, webhook, now))
    except InvalidToken:
        return None


def _held(ids: Collection[uuid.UUID], owner: str) -> ColumnElement[bool]:
    return and_(
        WebhookDelivery.id.in_(list(ids)),
        WebhookDelivery.lease_owner == owner,
        WebhookDelivery.state == DeliveryState.PENDING,
    )


async def renew(
    session: AsyncSession, ids: Collection[uuid.UUID], *, owner: str, until: datetime
) -> set[uuid.UUID]:
    """Extend the lease on those still held by `owner`; the ids that were (the others were lost)."""
    if not ids:
        return set()
    renewed = await session.scalars(
        update(WebhookDelivery)
        .where(_held(ids, owner))
        .values(lease_expires_at=until)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    return set(renewed)


async def release(session: AsyncSession, ids: Collection[uuid.UUID], *, owner: str) -> None:
    """Hand back deliveries claimed but not attempted: due again at once for any worker."""
    if ids:
        await session.execute(
            update(WebhookDelivery)
            .where(_held(ids, owner))
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
