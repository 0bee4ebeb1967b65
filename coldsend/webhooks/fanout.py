"""Facts become deliveries: one per webhook that subscribes to the fact, with its payload fixed now.

A webhook matches a fact of its workspace when it is active, its campaign is the fact's (or it has
none), and its event type is the fact's, or `all_events` (which also gets `auto_reply_received` and
custom-label events), or it is a custom-label webhook whose `custom_interest_value` is the fact's.
Facts are claimed in the order written (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers share the
work) and deleted in the transaction that writes their deliveries: each is fanned out exactly once.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.ids import new_id
from coldsend.models import (
    Campaign,
    DeliveryState,
    Email,
    Lead,
    LeadLabel,
    Webhook,
    WebhookDelivery,
    WebhookFact,
    WebhookStatus,
)
from coldsend.webhooks.facts import CUSTOM_LABEL
from coldsend.webhooks.payloads import Context, payload

ALL_EVENTS = "all_events"


def matches(webhook: Webhook, fact: WebhookFact) -> bool:
    if webhook.workspace_id != fact.workspace_id or webhook.status != WebhookStatus.ACTIVE:
        return False
    if webhook.campaign_id is not None and webhook.campaign_id != fact.campaign_id:
        return False
    if webhook.event_type in (ALL_EVENTS, fact.event_type):
        return True
    return (
        webhook.event_type is None
        and fact.event_type == CUSTOM_LABEL
        and webhook.custom_interest_value == fact.interest_value
    )


async def fan_out(session: AsyncSession, settings: Settings, now: datetime, limit: int) -> int:
    """Turns up to `limit` facts into deliveries; how many facts were handled."""
    claim = select(WebhookFact).order_by(WebhookFact.id).limit(limit)
    if session.bind.dialect.name == "postgresql":
        claim = claim.with_for_update(skip_locked=True)
    found = list(await session.scalars(claim))
    if not found:
        return 0
    webhooks = await _webhooks(session, {fact.workspace_id for fact in found})
    context = await _context(session, settings, found)
    first_attempt = now + timedelta(seconds=settings.webhook_retry_schedule[0])
    deliveries: list[dict[str, Any]] = []
    for fact in found:
        for webhook in webhooks:
            if matches(webhook, fact):
                deliveries.append(_delivery(webhook, fact, context, first_attempt))
    if deliveries:
        await session.execute(insert(WebhookDelivery), deliveries)
    await session.execute(
        delete(WebhookFact)
        .where(WebhookFact.id.in_([fact.id for fact in found]))
        .execution_options(synchronize_session=False)
    )
    return len(found)


def _delivery(webhook: Webhook, fact: WebhookFact, context: Context, due: datetime) -> dict[str, Any]:
    body = payload(fact, context)
    return {
        "id": new_id(),
        "workspace_id": fact.workspace_id,
        "webhook_id": webhook.id,
        "event_type": body["event_type"],
        "payload": body,
        "lead_email": body.get("lead_email"),
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": due,
        "timestamp_created": fact.timestamp,
    }


async def _webhooks(session: AsyncSession, workspace_ids: set[uuid.UUID]) -> list[Webhook]:
    return list(
        await session.scalars(
            select(Webhook).where(
                Webhook.workspace_id.in_(workspace_ids), Webhook.status == WebhookStatus.ACTIVE
            )
        )
    )


async def _by_id(session: AsyncSession, model: Any, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Any]:
    wanted = {id_ for id_ in ids if id_ is not None}
    if not wanted:
        return {}
    return {row.id: row for row in await session.scalars(select(model).where(model.id.in_(wanted)))}


async def _context(session: AsyncSession, settings: Settings, facts: list[WebhookFact]) -> Context:
    context = Context(public_url=settings.effective_public_url())
    context.campaigns = await _by_id(session, Campaign, (fact.campaign_id for fact in facts))
    context.leads = await _by_id(session, Lead, (fact.lead_id for fact in facts))
    context.emails = await _by_id(
        session, Email, [id_ for fact in facts for id_ in (fact.email_id, fact.reply_email_id)]
    )
    labelled = {
        (fact.workspace_id, fact.interest_value)
        for fact in facts
        if fact.event_type == CUSTOM_LABEL and fact.interest_value is not None
    }
    if labelled:
        rows = await session.execute(
            select(LeadLabel.workspace_id, LeadLabel.interest_status, LeadLabel.label).where(
                tuple_(LeadLabel.workspace_id, LeadLabel.interest_status).in_(list(labelled))
            )
        )
        context.labels = {(workspace, value): label for workspace, value, label in rows.tuples()}
    return context
