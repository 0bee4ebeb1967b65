"""Acceptance: `coldsend worker` processes send a 1,000-message campaign; the one in the middle of an SMTP
transaction is killed with SIGKILL; the sink still receives every (lead, step) exactly once, counted by
Message-ID and by (lead, step). On PostgreSQL two workers run and the survivor finishes; on SQLite (one
worker per database file) the worker is killed and a new one started on the same file finishes."""

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.db import migrate
from coldsend.db.session import create_engine, create_sessionmaker
from coldsend.models import Send, SendState
from tests.conftest import BACKENDS, Tenant, create_pg_database, drop_pg_database
from tests.engine.sending import leads_of
from tests.factories import activate, add_leads, create_campaign, create_sink_account, schedule, step
from tests.imap_server import Dovecot
from tests.kill import (  # noqa: F401 (fixture)
    SECRET_KEY,
    api_on,
    count_states,
    kill_holder,
    set_environment,
    sink_holds,
)
from tests.smtp_sink import SmtpSink
from tests.workers import Worker, wait_for

log = logging.getLogger(__name__)

ACCOUNTS = 10
LEADS = 500  # x 2 steps = 1,000 messages
KILL_AFTER = 300
IN_FLIGHT = (SendState.SENDING, SendState.COMMITTED)


@pytest.fixture(params=BACKENDS)
async def worker_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    """A fresh, migrated database for the workers on each backend (a PostgreSQL database, or a SQLite
    file); it stands in for conftest's PostgreSQL-only fixture of that name, which `api_on` asks for."""
    name = None
    if request.param == "postgresql":
        url, name = await create_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    engine = create_engine(url)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url, create_sessionmaker(engine)
    finally:
        await engine.dispose()
        if name is not None:
            await drop_pg_database(name)


@pytest.fixture
def lone_worker(tmp_path: Path) -> Iterator[Callable[[str, str], Worker]]:
    """Start one `coldsend worker` at a time (SQLite: one per database file); stopped after the test."""
    started: list[Worker] = []

    def start(url: str, name: str) -> Worker:
        started.append(Worker(url, tmp_path / name))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


async def test_killed_worker_loses_and_duplicates_nothing(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
    workers: Callable[[str], list[Worker]],
    lone_worker: Callable[[str, str], Worker],
    api_on: Tenant,  # noqa: F811
    smtp_sink: SmtpSink,
    dovecot: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, maker = worker_database
    sqlite = url.startswith("sqlite")
    tenant = api_on
    emails = [f"w{n}@out.test" for n in range(ACCOUNTS)]
    for email in emails:
        dovecot.add_user(email, "secret")
        await create_sink_account(
            tenant,
            smtp_sink,
            email,
            daily_limit=1000,
            sending_gap=0,
            imap_host="127.0.0.1",
            imap_port=dovecot.port,
            imap_tls="cleartext",
        )
    campaign = await create_campaign(
        tenant,
        campaign_schedule=schedule(),
        sequences=[
            {"steps": [step("First, {{firstName}}", "Hello", delay=0), step("Second, {{firstName}}", "")]}
        ],
        email_list=emails,
    )
    await add_leads(
        tenant, campaign["id"], [{"email": f"k{n}@leads.test", "first_name": f"K{n}"} for n in range(LEADS)]
    )
    set_environment(
        monkeypatch,
        {
            "COLDSEND_SECRET_KEY": SECRET_KEY,
            "COLDSEND_SEND_LEASE_SECONDS": "3",
            "COLDSEND_SEND_POLL_INTERVAL": "0.2",
            "COLDSEND_SMTP_TIMEOUT_SECONDS": "2",
            "COLDSEND_SEND_RETRY_BASE_SECONDS": "1",
        },
    )
    pool = [lone_worker(url, "worker-first")] if sqlite else workers(url)
    await activate(tenant, campaign["id"])
    started = time.monotonic()

    victim = await kill_holder(maker, pool, smtp_sink, Send, IN_FLIGHT, after=KILL_AFTER, row="a send")
    at_kill = len(smtp_sink.received)
    if sqlite:
        survivor = lone_worker(url, "worker-restarted")
        pool.append(survivor)
    else:
        [survivor] = [worker for worker in pool if worker is not victim]

    async def all_sent() -> bool:
        states = await count_states(maker, Send.state)
        return states[SendState.SENT] == 2 * LEADS

    try:
        # A count over every send row: every 0.1 s, not to load the database the survivor works on.
        await wait_for(all_sent, 180, "every send to be sent", [survivor], every=0.1)
    except BaseException:
        log.error("states: %s; sink: %d", await count_states(maker, Send.state), len(smtp_sink.received))
        raise
    output = survivor.output()
    log.info(
        "kill test: killed %d after %d messages; all %d sent after %.1f s; the survivor requeued %d "
        "interrupted sends and recorded %d committed ones as sent",
        victim.pid,
        at_kill,
        2 * LEADS,
        time.monotonic() - started,
        sum(int(count) for count in re.findall(r"(\d+) sends of a vanished worker requeued", output)),
        output.count("counted as sent, not resent"),
    )

    async with maker() as session:
        sends = {send.message_id: send for send in await session.scalars(select(Send))}
    await sink_holds(smtp_sink, 2 * LEADS)
    message_ids = smtp_sink.message_ids()
    assert len(message_ids) == len(set(message_ids)) == 2 * LEADS, "duplicate or missing Message-IDs"
    pairs = Counter((sends[mid].lead_id, sends[mid].step) for mid in message_ids)
    assert len(pairs) == 2 * LEADS
    assert set(pairs.values()) == {1}
    assert {send.state for send in sends.values()} == {SendState.SENT}
    leads = await leads_of(tenant, campaign["id"])
    assert {lead["status"] for lead in leads.values()} == {3}
    assert survivor.process.poll() is None, survivor.output()
