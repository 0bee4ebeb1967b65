"""The webhook call of an automation's `webhook_url` action: a POST of what fired to that URL, made by the
engine after the firing is committed, and tried again on the webhook module's schedule
(`webhook_retry_schedule`) until the URL answers 2xx.

Each attempt goes into the webhook delivery log (`GET /webhook-events`, with the `webhook_url` and no
webhook of the workspace behind it), and carries the `webhook-id` header (the same on every retry, so a
receiver deduplicates on it). It is not signed: the URL is no webhook of the workspace, so it has no
secret a receiver could check a signature with. A call is claimed under a lease (`webhook_next_at` moved
on; SKIP LOCKED on PostgreSQL), so workers share them; a worker that dies mid-call leaves it to be tried
again when the lease is up.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.clock import iso_z
from coldsend.config import Settings
from coldsend.models import PlacementAutomationRun, PlacementTest, WebhookEvent
from coldsend.outbound import Posted

EVENT_TYPE = "inbox_placement_automation"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
LEASE = timedelta(minutes=5)
CLAIM_BATCH = 20
USER_AGENT = "Coldsend-Webhooks"


@dataclass(frozen=True)
class Call:
    """A claimed call: where it goes, what it says, and which attempt this is (0 for the first)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    url: str
    payload: dict[str, Any]
    attempt: int


def headers(call: Call) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "webhook-id": str(call.id)}


def payload(record: PlacementAutomationRun, test: PlacementTest | None) -> dict[str, Any]:
    automations = (test.automations if test else None) or []
    when: dict[str, Any] = (
        automations[record.automation].get("when", {}) if record.automation < len(automations) else {}
    )
    return {
        "timestamp": iso_z(record.timestamp_created),
        "event_type": EVENT_TYPE,
        "workspace": str(record.workspace_id),
        "test_id": str(record.test_id),
        "test_name": test.name if test else None,
        "campaign_id": str(test.campaign_id) if test and test.campaign_id else None,
        "run_id": str(record.run_id),
        "condition": record.condition,
        "condition_value": when.get("condition_value"),
        "value": record.value,
        "paused_campaigns": record.paused_campaigns or [],
    }


async def claim(session: AsyncSession, now: datetime) -> list[Call]:
    """Lease the calls that are due."""
    pick = (
        select(PlacementAutomationRun.id)
        .where(
            PlacementAutomationRun.webhook_status == PENDING, PlacementAutomationRun.webhook_next_at <= now
        )
        .order_by(PlacementAutomationRun.webhook_next_at, PlacementAutomationRun.id)
        .limit(CLAIM_BATCH)
        .with_for_update(skip_locked=True)
    )
    records = list(
        await session.scalars(
            update(PlacementAutomationRun)
            .where(PlacementAutomationRun.id.in_(pick), PlacementAutomationRun.webhook_status == PENDING)
            .values(webhook_next_at=now + LEASE)
            .returning(PlacementAutomationRun)
            .execution_options(synchronize_session=False)
        )
    )
    tests = {
        test.id: test
        for test in await session.scalars(
            select(PlacementTest).where(PlacementTest.id.in_({record.test_id for record in records}))
        )
    }
    return [
        Call(
            id=record.id,
            workspace_id=record.workspace_id,
            url=record.webhook_url or "",
            payload=payload(record, tests.get(record.test_id)),
            attempt=record.webhook_attempts,
        )
        for record in sorted(records, key=lambda record: record.id)
    ]


async def record_attempt(
    session: AsyncSession, call: Call, posted: Posted, *, at: datetime, settings: Settings
) -> None:
    """The attempt in the delivery log, and the call delivered, due again, or failed for good."""
    schedule = settings.webhook_retry_schedule
    following = call.attempt + 1
    again = posted.error is not None and not posted.refused and following < len(schedule)
    next_at = at + timedelta(seconds=schedule[following]) if again else None
    status = DELIVERED if posted.error is None else PENDING if again else FAILED
    await session.execute(
        update(PlacementAutomationRun)
        .where(PlacementAutomationRun.id == call.id, PlacementAutomationRun.webhook_status == PENDING)
        .values(webhook_status=status, webhook_attempts=following, webhook_next_at=next_at)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        insert(WebhookEvent).values(
            workspace_id=call.workspace_id,
            webhook_id=None,
            delivery_id=call.id,
            timestamp_created=at,
            payload=call.payload,
            success=posted.error is None,
            retry_count=call.attempt,
            will_retry=again,
            webhook_url=call.url,
            status_code=posted.status_code,
            error_message=posted.error,
            timestamp_next_retry=next_at,
            retry_successful=None if call.attempt == 0 else posted.error is None,
            lead_email=None,
            response_time_ms=posted.response_time_ms,
        )
    )
