"""Acceptance: two `coldsend worker` processes deliver webhooks from one PostgreSQL database; the one holding
deliveries is SIGKILLed mid-batch; every delivery still arrives, and a duplicate carries the same
webhook-id."""

import logging
import os
import signal
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import utcnow
from coldsend.db.session import session_scope
from coldsend.models import DeliveryState, WebhookDelivery, WebhookEvent
from coldsend.workspaces import service as workspace_service
from tests.conftest import BACKENDS, make_settings
from tests.factories import insert_webhook, queue_delivery
from tests.webhook_receiver import Receiver
from tests.workers import Worker, alive_pids, wait_for

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

SECRET_KEY = "webhook-kill-secret-key"
DELIVERIES = 400
KILL_AFTER = 100
PATH = "/hooks/kill"


async def count_delivered(maker: async_sessionmaker[AsyncSession]) -> int:
    async with maker() as session:
        query = select(func.count()).where(WebhookDelivery.state == DeliveryState.DELIVERED)
        return int(await session.scalar(query) or 0)


async def test_killed_worker_loses_no_delivery(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
    workers: Callable[[str], list[Worker]],
    hooks: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, maker = worker_database
    settings = make_settings(url, tmp_path, secret_key=SECRET_KEY)
    hooks.answer(PATH, 204, delay=0.02)
    async with session_scope(maker) as session:
        workspace = await workspace_service.create(session, name="Hooks", owner_email="h@example.com")
        webhook, secret = await insert_webhook(session, settings, workspace.id, hooks.url(PATH))
        now = utcnow()
        ids = {
            (await queue_delivery(session, webhook, now, payload={"event_type": "email_sent", "n": n})).id: n
            for n in range(DELIVERIES)
        }
    hooks.verify_with(PATH, secret)
    for name, value in {
        "COLDSEND_SECRET_KEY": SECRET_KEY,
        "COLDSEND_WEBHOOK_ALLOW_PRIVATE": "true",
        "COLDSEND_WEBHOOK_TIMEOUT_SECONDS": "1",
        "COLDSEND_WEBHOOK_CONCURRENCY_PER_HOST": "4",
        "COLDSEND_WEBHOOK_POLL_INTERVAL": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    pool = workers(url)

    async def holders() -> set[int]:
        async with maker() as session:
            owners = await session.scalars(
                select(WebhookDelivery.lease_owner).where(
                    WebhookDelivery.state == DeliveryState.PENDING, WebhookDelivery.lease_owner.is_not(None)
                )
            )
            return {int(owner.rsplit(":", 2)[1]) for owner in owners if owner} & alive_pids(pool)

    async def mid_batch() -> bool:
        return len(hooks.requests(PATH)) >= KILL_AFTER and bool(await holders())

    await wait_for(mid_batch, 60, f"{KILL_AFTER} deliveries and a worker holding more", pool, every=0.02)
    victim_pid = sorted(await holders())[0]
    os.kill(victim_pid, signal.SIGKILL)
    [victim] = [worker for worker in pool if worker.pid == victim_pid]
    [survivor] = [worker for worker in pool if worker.pid != victim_pid]
    victim.process.wait(timeout=10)
    at_kill = len(hooks.requests(PATH))

    async def all_delivered() -> bool:
        return await count_delivered(maker) == DELIVERIES

    try:
        await wait_for(all_delivered, 120, "every delivery to be delivered", [survivor], every=0.1)
    except BaseException:
        async with maker() as session:
            rows = await session.execute(
                select(
                    WebhookDelivery.state,
                    WebhookDelivery.lease_owner,
                    func.count(),
                    func.min(WebhookDelivery.lease_expires_at),
                    func.min(WebhookDelivery.next_attempt_at),
                ).group_by(WebhookDelivery.state, WebhookDelivery.lease_owner)
            )
            log.error("deliveries: %s; requests: %d; now %s", rows.all(), len(hooks.requests(PATH)), utcnow())
            errors = await session.execute(
                select(WebhookEvent.error_message, func.count()).group_by(WebhookEvent.error_message)
            )
            log.error("attempts: %s", errors.all())
        raise

    requests = hooks.requests(PATH)
    by_n: dict[int, set[str]] = defaultdict(set)
    for request in requests:
        by_n[request.json()["n"]].add(request.headers["webhook-id"])
    assert set(by_n) == set(range(DELIVERIES)), "a delivery never arrived"
    assert all(ids[uuid.UUID(webhook_id)] == n for n, seen in by_n.items() for webhook_id in seen)
    assert all(len(seen) == 1 for seen in by_n.values()), "a duplicate with another webhook-id"
    assert all(request.verified == [True] for request in requests)
    async with maker() as session:
        successes = await session.scalar(select(func.count()).where(WebhookEvent.success.is_(True)))
    assert successes == DELIVERIES
    log.info(
        "webhook kill test: killed %d after %d requests; %d requests for %d deliveries",
        victim_pid,
        at_kill,
        len(requests),
        DELIVERIES,
    )
    assert survivor.process.poll() is None, survivor.output()
