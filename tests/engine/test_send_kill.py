"""Acceptance: `coldsend worker` processes send a 1,000-message campaign; the one in the middle of an SMTP
transaction is killed with SIGKILL; the sink still receives every (lead, step) exactly once, counted by
Message-ID and by (lead, step). On PostgreSQL two workers run and the survivor finishes; on SQLite (one
worker per database file) the worker is killed and a new one started on the same file finishes."""

import asyncio
import logging
import os
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.db import migrate
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.models import Send, SendState
from coldsend.workspaces import service as workspace_service
from tests.conftest import BACKENDS, Tenant, client_for, create_pg_database, drop_pg_database, make_settings
from tests.engine.sending import leads_of
from tests.factories import activate, add_leads, create_campaign, create_sink_account, schedule, step
from tests.imap_server import Dovecot
from tests.smtp_sink import SmtpSink
from tests.workers import Worker, alive_pids, wait_for

log = logging.getLogger(__name__)

SECRET_KEY = "kill-test-secret-key"
ACCOUNTS = 10
LEADS = 500  # x 2 steps = 1,000 messages
KILL_AFTER = 300


@pytest.fixture(params=BACKENDS)
async def kill_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    """A fresh, migrated database for the workers (a PostgreSQL database, or a SQLite file)."""
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


@pytest.fixture
async def api_on(
    kill_database: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> AsyncIterator[Tenant]:
    """The real app on the workers' database, and a workspace with an all:all key on it."""
    url, maker = kill_database
    application = create_app(make_settings(url, tmp_path / "api", secret_key=SECRET_KEY), run_engine=False)
    async with application.router.lifespan_context(application):
        async with session_scope(maker) as session:
            workspace = await workspace_service.create(session, name="Kill test", owner_email="k@example.com")
            _key, secret = await api_key_service.create(
                session, workspace_id=workspace.id, name="k", scopes=["all:all"]
            )
        async with client_for(application, secret) as client:
            yield Tenant(workspace_id=workspace.id, key=secret, client=client)


async def count_states(maker: async_sessionmaker[AsyncSession]) -> Counter[str]:
    async with maker() as session:
        rows = await session.execute(select(Send.state, func.count()).group_by(Send.state))
        return Counter({str(state): int(count) for state, count in rows.tuples()})  # noqa: C416


async def test_killed_worker_loses_and_duplicates_nothing(
    kill_database: tuple[str, async_sessionmaker[AsyncSession]],
    workers: Callable[[str], list[Worker]],
    lone_worker: Callable[[str, str], Worker],
    api_on: Tenant,
    smtp_sink: SmtpSink,
    dovecot: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, maker = kill_database
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
    for name, value in {
        "COLDSEND_SECRET_KEY": SECRET_KEY,
        "COLDSEND_SEND_LEASE_SECONDS": "3",
        "COLDSEND_SEND_POLL_INTERVAL": "0.2",
        "COLDSEND_SMTP_TIMEOUT_SECONDS": "2",
        "COLDSEND_SEND_RETRY_BASE_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    pool = [lone_worker(url, "worker-first")] if sqlite else workers(url)
    await activate(tenant, campaign["id"])
    started = time.monotonic()

    async def mid_flight() -> bool:
        if len(smtp_sink.received) < KILL_AFTER:
            return False
        states = await count_states(maker)
        in_flight = states[SendState.SENDING] + states[SendState.COMMITTED]
        return len(smtp_sink.received) >= KILL_AFTER and in_flight > 0

    await wait_for(mid_flight, 120, f"{KILL_AFTER} messages and a send in flight", pool)
    async with maker() as session:
        owners = list(
            await session.scalars(
                select(Send.lease_owner).where(Send.state.in_((SendState.SENDING, SendState.COMMITTED)))
            )
        )
    pids = {int(owner.rsplit(":", 2)[1]) for owner in owners if owner} & alive_pids(pool)
    assert pids, "no live worker held a send"
    victim_pid = sorted(pids)[0]
    os.kill(victim_pid, signal.SIGKILL)
    [victim] = [worker for worker in pool if worker.pid == victim_pid]
    victim.process.wait(timeout=10)
    at_kill = len(smtp_sink.received)
    if sqlite:
        survivor = lone_worker(url, "worker-restarted")
        pool.append(survivor)
    else:
        [survivor] = [worker for worker in pool if worker.pid != victim_pid]

    async def all_sent() -> bool:
        states = await count_states(maker)
        return states[SendState.SENT] == 2 * LEADS

    try:
        # A count over every send row: every 0.1 s, not to load the database the survivor works on.
        await wait_for(all_sent, 180, "every send to be sent", [survivor], every=0.1)
    except BaseException:
        log.error("states: %s; sink: %d", await count_states(maker), len(smtp_sink.received))
        raise
    output = survivor.output()
    log.info(
        "kill test: killed %d after %d messages; all %d sent after %.1f s; the survivor requeued %d "
        "interrupted sends and recorded %d committed ones as sent",
        victim_pid,
        at_kill,
        2 * LEADS,
        time.monotonic() - started,
        sum(int(count) for count in re.findall(r"(\d+) sends of a vanished worker requeued", output)),
        output.count("counted as sent, not resent"),
    )

    async with maker() as session:
        sends = {send.message_id: send for send in await session.scalars(select(Send))}
    message_ids = smtp_sink.message_ids()
    assert len(message_ids) == len(set(message_ids)) == 2 * LEADS, "duplicate or missing Message-IDs"
    pairs = Counter((sends[mid].lead_id, sends[mid].step) for mid in message_ids)
    assert len(pairs) == 2 * LEADS
    assert set(pairs.values()) == {1}
    assert {send.state for send in sends.values()} == {SendState.SENT}
    leads = await leads_of(tenant, campaign["id"])
    assert {lead["status"] for lead in leads.values()} == {3}
    assert survivor.process.poll() is None, survivor.output()
