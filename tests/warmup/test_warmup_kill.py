"""Acceptance: two `coldsend worker` processes send a pool's day of warmup mail on PostgreSQL; the one in
the middle of an SMTP transaction is killed with SIGKILL; every planned message still reaches the local
mail system exactly once (by Message-ID), and none is lost."""

import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import utcnow
from coldsend.db.session import session_scope
from coldsend.models import WarmupMessage, WarmupState
from tests.conftest import BACKENDS, Tenant
from tests.kill import (  # noqa: F401 (fixture)
    SECRET_KEY,
    api_on,
    count_states,
    kill_mid_flight,
    set_environment,
    sink_holds,
)
from tests.warmup.mail_system import MailSystem, mail_system  # noqa: F401 (fixture)
from tests.warmup.world import pool_account, provider_dns
from tests.workers import Worker, wait_for

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

POOL = ["ann@alpha.test", "al@alpha.test", "bea@beta.test", "bo@beta.test", "cy@gamma.test"]
LIMIT = 60
KILL_AFTER = 100
IN_FLIGHT = (WarmupState.SENDING, WarmupState.COMMITTED)


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
        set_environment(
            monkeypatch,
            {
                "COLDSEND_SECRET_KEY": SECRET_KEY,
                "COLDSEND_SEND_LEASE_SECONDS": "3",
                "COLDSEND_WARMUP_POLL_INTERVAL": "0.2",
                "COLDSEND_WARMUP_READ_SECONDS": "3600",
                "COLDSEND_SMTP_TIMEOUT_SECONDS": "2",
                "COLDSEND_DNS_NAMESERVERS": dns.nameserver,
            },
        )
        pool = workers(url)
        response = await tenant.client.post("/api/v2/accounts/warmup/enable", json={"emails": POOL})
        assert response.status_code == 200, response.text
        planned = len(POOL) * LIMIT

        async def day_planned() -> bool:
            return sum((await count_states(maker, WarmupMessage.state)).values()) == planned

        await wait_for(day_planned, 60, "the day's warmup plan", pool)
    # The day's plan is spread over the day: bring it all forward, so it goes out now.
    async with session_scope(maker) as session:
        await session.execute(
            update(WarmupMessage).where(WarmupMessage.state == WarmupState.PLANNED).values(due_at=utcnow())
        )
    victim, survivor = await kill_mid_flight(
        maker, pool, system.sink, WarmupMessage, IN_FLIGHT, after=KILL_AFTER, row="a warmup message"
    )
    at_kill = len(system.sink.received)

    async def all_sent() -> bool:
        return (await count_states(maker, WarmupMessage.state))[WarmupState.SENT] == planned

    try:
        await wait_for(all_sent, 180, "every warmup message to be sent", [survivor], every=0.1)
    except BaseException:
        log.error(
            "states: %s; received: %d",
            await count_states(maker, WarmupMessage.state),
            len(system.sink.received),
        )
        raise
    log.info("warmup kill test: killed %d after %d of %d messages", victim.pid, at_kill, planned)
    async with maker() as session:
        rows = {row.message_id: row for row in await session.scalars(select(WarmupMessage))}
    await sink_holds(system.sink, planned)
    received = system.sink.message_ids()
    assert len(received) == len(set(received)) == planned, "duplicate or missing Message-IDs"
    assert set(received) == set(rows)
    assert survivor.process.poll() is None, survivor.output()
