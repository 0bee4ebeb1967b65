"""The harness of the kill tests of leased mail (campaign sends, warmup messages, placement copies): the real
app on the workers' database, rows counted by state, and a worker killed with SIGKILL while it holds a row
in the middle of an SMTP transaction."""

import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.db.session import session_scope
from coldsend.workspaces import service as workspace_service
from tests.conftest import Tenant, client_for, make_settings
from tests.smtp_sink import SmtpSink
from tests.waiting import eventually
from tests.workers import Worker, alive_pids, wait_for

SECRET_KEY = "kill-test-secret-key"


@pytest.fixture
async def api_on(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]], tmp_path: Path
) -> AsyncIterator[Tenant]:
    """The real app on the workers' database, and a workspace with an all:all key on it."""
    url, maker = worker_database
    application = create_app(make_settings(url, tmp_path / "api", secret_key=SECRET_KEY), run_engine=False)
    async with application.router.lifespan_context(application):
        async with session_scope(maker) as session:
            workspace = await workspace_service.create(session, name="Kill test", owner_email="k@example.com")
            _key, secret = await api_key_service.create(
                session, workspace_id=workspace.id, name="k", scopes=["all:all"]
            )
        async with client_for(application, secret) as client:
            yield Tenant(workspace_id=workspace.id, key=secret, client=client)


def set_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    """The workers' settings, in the environment they are started with."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)


async def sink_holds(sink: SmtpSink, count: int) -> None:
    """Waits for `count` messages at the sink. A sender commits a message as sent before it writes the
    final dot, so the database says sent a moment before the sink has the last one; a message really
    lost still fails here, and the callers' assertions still count duplicates."""

    async def held() -> bool:
        return len(sink.received) >= count

    await eventually(held, f"the sink to hold {count} messages")


async def count_states(
    maker: async_sessionmaker[AsyncSession], state: InstrumentedAttribute[str]
) -> Counter[str]:
    """How many rows of `state`'s table are in each state."""
    async with maker() as session:
        rows = await session.execute(select(state, func.count()).group_by(state))
        return Counter({str(value): int(count) for value, count in rows.tuples()})  # noqa: C416


async def kill_mid_flight(
    maker: async_sessionmaker[AsyncSession],
    pool: list[Worker],
    sink: SmtpSink,
    model: Any,
    in_flight: tuple[str, ...],
    *,
    after: int,
    row: str,
) -> tuple[Worker, Worker]:
    """`kill_holder` in a pool of two workers: (the killed worker, the survivor)."""
    victim = await kill_holder(maker, pool, sink, model, in_flight, after=after, row=row)
    [survivor] = [worker for worker in pool if worker is not victim]
    return victim, survivor


async def kill_holder(
    maker: async_sessionmaker[AsyncSession],
    pool: list[Worker],
    sink: SmtpSink,
    model: Any,
    in_flight: tuple[str, ...],
    *,
    after: int,
    row: str,
) -> Worker:
    """Once the sink has `after` messages and a row of `model` is in flight (its state one of
    `in_flight`), SIGKILL a live worker holding such a row (`row` names one in messages), and return it."""

    async def mid_flight() -> bool:
        if len(sink.received) < after:
            return False
        found = await count_states(maker, model.state)
        return sum(found[state] for state in in_flight) > 0

    await wait_for(mid_flight, 120, f"{after} messages and {row} in flight", pool)
    async with maker() as session:
        owners = list(await session.scalars(select(model.lease_owner).where(model.state.in_(in_flight))))
    pids = {int(owner.rsplit(":", 2)[1]) for owner in owners if owner} & alive_pids(pool)
    assert pids, f"no live worker held {row}"
    victim_pid = sorted(pids)[0]
    os.kill(victim_pid, signal.SIGKILL)
    [victim] = [worker for worker in pool if worker.pid == victim_pid]
    victim.process.wait(timeout=10)
    return victim
