"""Acceptance: two `coldsend worker` processes send a pool's day of warmup mail on PostgreSQL; the one in
the middle of an SMTP transaction is killed with SIGKILL; every planned message still reaches the local
mail system exactly once (by Message-ID), and none is lost."""

import logging
import os
import signal
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import utcnow
from coldsend.db.session import session_scope
from coldsend.models import WarmupMessage, WarmupState
from tests.conftest import BACKENDS, Tenant
from tests.engine.test_send_kill import SECRET_KEY, api_on  # noqa: F401 (fixture)
from tests.warmup.mail_system import MailSystem, mail_system  # noqa: F401 (fixture)
from tests.warmup.world import pool_account, provider_dns
from tests.workers import Worker, alive_pids, wait_for

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

POOL = ["ann@alpha.test", "al@alpha.test", "bea@beta.test", "bo@beta.test", "cy@gamma.test"]
LIMIT = 60
KILL_AFTER = 100


async def states(maker: async_sessionmaker[AsyncSession]) -> Counter[str]:
    async with maker() as session:
        rows = await session.execute(select(WarmupMessage.state, func.count()).group_by(WarmupMessage.state))
        return Counter({str(state): int(count) for state, count in rows.tuples()})  # noqa: C416


async def test_killed_worker_loses_and_repeats_no_warmup_message(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
    workers: Callable[[str], list[Worker]],
    api_on: Tenant,  # noqa: F811
    mail_system: MailSystem,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, maker = worker_database
    tenant, system = api_on, mail_system
    warmup = {"limit": LIMIT, "increment": "disabled", "reply_rate": 0}
    for email in POOL:
        await pool_account(tenant, system, email, warmup=warmup)
    with provider_dns() as dns:
        for name, value in {
            "COLDSEND_SECRET_KEY": SECRET_KEY,
            "COLDSEND_SEND_LEASE_SECONDS": "3",
            "COLDSEND_WARMUP_POLL_INTERVAL": "0.2",
            "COLDSEND_WARMUP_READ_SECONDS": "3600",
            "COLDSEND_SMTP_TIMEOUT_SECONDS": "2",
            "COLDSEND_DNS_NAMESERVERS": dns.nameserver,
        }.items():
            monkeypatch.setenv(name, value)
        pool = workers(url)
        response = await tenant.client.post("/api/v2/accounts/warmup/enable", json={"emails": POOL})
        assert response.status_code == 200, response.text
        planned = len(POOL) * LIMIT

        async def day_planned() -> bool:
            return sum((await states(maker)).values()) == planned

        await wait_for(day_planned, 60, "the day's warmup plan", pool)
    # The day's plan is spread over the day: bring it all forward, so it goes out now.
    async with session_scope(maker) as session:
        await session.execute(
            update(WarmupMessage).where(WarmupMessage.state == WarmupState.PLANNED).values(due_at=utcnow())
        )

    async def mid_flight() -> bool:
        found = await states(maker)
        in_flight = found[WarmupState.SENDING] + found[WarmupState.COMMITTED]
        return len(system.sink.received) >= KILL_AFTER and in_flight > 0

    await wait_for(mid_flight, 120, f"{KILL_AFTER} messages and one in flight", pool)
    async with maker() as session:
        owners = list(
            await session.scalars(
                select(WarmupMessage.lease_owner).where(
                    WarmupMessage.state.in_((WarmupState.SENDING, WarmupState.COMMITTED))
                )
            )
        )
    pids = {int(owner.rsplit(":", 2)[1]) for owner in owners if owner} & alive_pids(pool)
    assert pids, "no live worker held a warmup message"
    victim_pid = sorted(pids)[0]
    os.kill(victim_pid, signal.SIGKILL)
    [victim] = [worker for worker in pool if worker.pid == victim_pid]
    [survivor] = [worker for worker in pool if worker.pid != victim_pid]
    victim.process.wait(timeout=10)
    at_kill = len(system.sink.received)

    async def all_sent() -> bool:
        return (await states(maker))[WarmupState.SENT] == planned

    try:
        await wait_for(all_sent, 180, "every warmup message to be sent", [survivor], every=0.1)
    except BaseException:
        log.error("states: %s; received: %d", await states(maker), len(system.sink.received))
        raise
    log.info("warmup kill test: killed %d after %d of %d messages", victim_pid, at_kill, planned)
    async with maker() as session:
        rows = {row.message_id: row for row in await session.scalars(select(WarmupMessage))}
    received = system.sink.message_ids()
    assert len(received) == len(set(received)) == planned, "duplicate or missing Message-IDs"
    assert set(received) == set(rows)
    assert survivor.process.poll() is None, survivor.output()
