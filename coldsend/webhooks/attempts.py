"""What an attempt to deliver does: one row in the delivery log, the delivery's next step on its
schedule, and the webhook's health.

- 2xx: delivered.
- Anything else (another status, a timeout, a refused connection, a target that is not a safe address):
  tried again after the next delay of `webhook_retry_schedule`; after the last attempt the delivery
  has failed.
- 410 Gone: the receiver asked to stop: the webhook is disabled at once (status -1) and the delivery
  fails.
- `failing_since` is the first failed attempt after the last delivered one; once the webhook's attempts
  have all failed for `webhook_disable_after_seconds`, it is disabled.

The schedule is in the rows (`attempts`, `next_attempt_at`), so it survives restarts.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.db.types import UTCDateTime
from coldsend.models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent, WebhookStatus
from coldsend.outbound import Posted
from coldsend.webhooks.delivery import Due

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    due: Due
    at: datetime
    posted: Posted

    @property
    def success(self) -> bool:
        return self.posted.error is None

    @property
    def gone(self) -> bool:
        return self.posted.status_code == HTTPStatus.GONE


def _next_retry(attempt: Attempt, schedule: Sequence[float]) -> datetime | None:
    following = attempt.due.attempt + 1
    if attempt.success or attempt.gone or following >= len(schedule):
        return None
    return attempt.at + timedelta(seconds=schedule[following])


def _state(attempt: Attempt, next_retry: datetime | None) -> str:
    if attempt.success:
        return DeliveryState.DELIVERED
    return DeliveryState.PENDING if next_retry is not None else DeliveryState.FAILED


async def record(
    session: AsyncSession, attempts: Sequence[Attempt], *, owner: str, settings: Settings
) -> set[uuid.UUID]:
    """Record the attempts of deliveries still leased to `owner` (one whose lease was lost is another
    worker's now, and so is its log); the webhooks this disabled."""
    if not attempts:
        return set()
    ids = [attempt.due.id for attempt in attempts]
    held_query = select(WebhookDelivery.id).where(
        WebhookDelivery.id.in_(ids),
        WebhookDelivery.lease_owner == owner,
        WebhookDelivery.state == DeliveryState.PENDING,
    )
    held = set(await session.scalars(held_query.with_for_update()))
    kept = [attempt for attempt in attempts if attempt.due.id in held]
    for attempt in attempts:
        if attempt.due.id not in held:
            log.warning("webhook delivery %s: lease lost before its attempt was recorded", attempt.due.id)
    if not kept:
        return set()
    schedule = settings.webhook_retry_schedule
    deliveries: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for attempt in kept:
        next_retry = _next_retry(attempt, schedule)
        due, posted = attempt.due, attempt.posted
        deliveries.append(
            {
                "id": due.id,
                "state": _state(attempt, next_retry),
                "attempts": due.attempt + 1,
                "next_attempt_at": next_retry or attempt.at,
                "lease_owner": None,
                "lease_expires_at": None,
                "timestamp_delivered": attempt.at if attempt.success else None,
            }
        )
        events.append(
            {
                "workspace_id": due.workspace_id,
                "webhook_id": due.webhook_id,
                "delivery_id": due.id,
                "timestamp_created": attempt.at,
                "payload": due.payload,
                "success": attempt.success,
                "retry_count": due.attempt,
                "will_retry": next_retry is not None,
                "webhook_url": due.url,
                "status_code": posted.status_code,
                "error_message": posted.error,
                "timestamp_next_retry": next_retry,
                "retry_successful": None if due.attempt == 0 else attempt.success,
                "lead_email": due.lead_email,
                "response_time_ms": posted.response_time_ms,
            }
        )
    await session.execute(update(WebhookDelivery), deliveries)
    await session.execute(insert(WebhookEvent), events)
    return await _webhook_health(session, kept, settings)


async def _webhook_health(
    session: AsyncSession, attempts: Sequence[Attempt], settings: Settings
) -> set[uuid.UUID]:
    by_webhook: dict[uuid.UUID, list[Attempt]] = {}
    for attempt in sorted(attempts, key=lambda attempt: attempt.at):
        by_webhook.setdefault(attempt.due.webhook_id, []).append(attempt)
    disabled: set[uuid.UUID] = set()
    for webhook_id, theirs in sorted(by_webhook.items()):  # one order on every worker: no deadlock
        last = theirs[-1].at
        gone = [attempt.at for attempt in theirs if attempt.gone]
        successes = [index for index, attempt in enumerate(theirs) if attempt.success]
        failing = theirs[successes[-1] + 1 :] if successes else theirs
        this_webhook = Webhook.id == webhook_id
        if successes and not failing:
            await session.execute(
                update(Webhook)
                .where(this_webhook, Webhook.failing_since.is_not(None))
                .values(failing_since=None)
                .execution_options(synchronize_session=False)
            )
        elif failing:
            first_failure = failing[0].at
            since = bindparam("since", first_failure, type_=UTCDateTime())
            await session.execute(
                update(Webhook)
                .where(this_webhook)
                .values(failing_since=since if successes else func.coalesce(Webhook.failing_since, since))
                .execution_options(synchronize_session=False)
            )
        if not failing and not gone:
            continue
        worn_out = Webhook.failing_since <= last - timedelta(seconds=settings.webhook_disable_after_seconds)
        stop = this_webhook if gone else and_(this_webhook, worn_out)
        turned_off = await session.scalar(
            update(Webhook)
            .where(stop, Webhook.status == WebhookStatus.ACTIVE)
            .values(status=WebhookStatus.ERROR, timestamp_error=gone[0] if gone else last)
            .returning(Webhook.id)
            .execution_options(synchronize_session=False)
        )
        if turned_off is not None:
            log.warning("webhook %s disabled: %s", webhook_id, "410 Gone" if gone else "failing too long")
            disabled.add(webhook_id)
    return disabled
