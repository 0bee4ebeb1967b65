"""The webhook dispatcher in-process on a hand-moved clock, against the real database and a receiver in
its own process. Webhooks and deliveries are written through a session (tests/factories.py)."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select

from coldsend.clock import ManualClock, utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.webhook_dispatcher import WebhookDispatcher
from coldsend.models import DeliveryState, Webhook, WebhookDelivery, WebhookEvent, WebhookFact
from tests.conftest import Tenant
from tests.factories import insert_webhook, queue_delivery
from tests.webhook_receiver import Receiver, receiver


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    """A webhook receiver in its own process, stopped by its PID after the test."""
    with receiver() as started:
        yield started


@dataclass
class World:
    """A workspace's webhooks, a dispatcher on a manual clock, and reads of what it recorded."""

    app: FastAPI
    settings: Settings
    clock: ManualClock
    dispatcher: WebhookDispatcher
    workspace_id: uuid.UUID
    webhook_ids: list[uuid.UUID] = field(default_factory=list)

    async def webhook(self, url: str, **fields: Any) -> tuple[Webhook, str]:
        async with session_scope(self.app.state.sessionmaker) as session:
            webhook, secret = await insert_webhook(session, self.settings, self.workspace_id, url, **fields)
        self.webhook_ids.append(webhook.id)
        return webhook, secret

    async def queue(self, webhook: Webhook, **fields: Any) -> WebhookDelivery:
        async with session_scope(self.app.state.sessionmaker) as session:
            return await queue_delivery(session, webhook, self.clock.now(), **fields)

    async def update_webhook(self, webhook_id: uuid.UUID, **values: Any) -> None:
        async with session_scope(self.app.state.sessionmaker) as session:
            row = await session.get(Webhook, webhook_id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)

    async def webhook_row(self, webhook_id: uuid.UUID) -> Webhook:
        async with self.app.state.sessionmaker() as session:
            row: Webhook | None = await session.get(Webhook, webhook_id)
            assert row is not None
            return row

    async def deliveries(self, webhook_id: uuid.UUID) -> list[WebhookDelivery]:
        async with self.app.state.sessionmaker() as session:
            query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            return list(await session.scalars(query.order_by(WebhookDelivery.id)))

    async def events(self, delivery_id: uuid.UUID) -> list[WebhookEvent]:
        """The log of one delivery's attempts, in order."""
        async with self.app.state.sessionmaker() as session:
            query = select(WebhookEvent).where(WebhookEvent.delivery_id == delivery_id)
            return list(await session.scalars(query.order_by(WebhookEvent.retry_count)))

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery of this world's webhooks is due."""
        async with self.app.state.sessionmaker() as session:
            due: datetime | None = await session.scalar(
                select(func.min(WebhookDelivery.next_attempt_at)).where(
                    WebhookDelivery.webhook_id.in_(self.webhook_ids),
                    WebhookDelivery.state == DeliveryState.PENDING,
                )
            )
            return due

    async def advance_to(self, moment: datetime) -> int:
        """Move the clock (never back) and deliver what is due then; how many attempts were made."""
        self.clock.current = max(self.clock.current, moment)
        return await self.dispatcher.run_until_idle()


MakeWorld = Callable[..., World]


@pytest.fixture
async def make_world(app: FastAPI, tenant: Tenant) -> AsyncIterator[MakeWorld]:
    """Worlds on the test's workspace; `**settings` override the app's (private targets are allowed
    unless a test says otherwise). Their webhooks, and so their deliveries, are deleted after the test."""
    made: list[World] = []
    # The dispatcher serves every workspace: what earlier tests left owed (facts of their events,
    # pending deliveries to their webhooks) is not this test's to count.
    async with session_scope(app.state.sessionmaker) as session:
        await session.execute(delete(WebhookFact))
        await session.execute(delete(WebhookDelivery).where(WebhookDelivery.state == DeliveryState.PENDING))

    def make(**settings: Any) -> World:
        values = {"webhook_allow_private": True, **settings}
        world_settings: Settings = app.state.settings.model_copy(update=values)
        clock = ManualClock(utcnow())
        dispatcher = WebhookDispatcher(
            world_settings, app.state.sessionmaker, clock, worker_id=f"test:{uuid.uuid4().hex[:8]}"
        )
        world = World(app, world_settings, clock, dispatcher, tenant.workspace_id)
        made.append(world)
        return world

    yield make
    for world in made:
        await world.dispatcher.close()
        if world.webhook_ids:
            async with session_scope(app.state.sessionmaker) as session:
                await session.execute(delete(Webhook).where(Webhook.id.in_(world.webhook_ids)))


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    return make_world()
