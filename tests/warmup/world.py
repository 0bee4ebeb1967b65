"""A warmup pool built over the API on the local mail system, and the engine that runs it on a manual
clock: the warmup loop, the campaign scheduler and sender, and the inbox loop, ticked by the test."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.engine.inbox_loop import InboxLoop
from coldsend.engine.job_runner import JobRunner
from coldsend.engine.serial import EngineLock
from coldsend.engine.warmup_loop import WarmupLoop
from coldsend.jobs import HANDLERS
from coldsend.models import WarmupMessage
from tests.conftest import Tenant, make_settings
from tests.dns_server import DnsServer, serve_dns
from tests.engine.sending import Engine, make_engine
from tests.factories import create_sink_account
from tests.warmup.mail_system import PASSWORD, MailSystem

ACCOUNTS = "/api/v2/accounts"
# MX hosts that make each test domain a provider: Google, Microsoft, or another.
MX = {
    "alpha.test": "aspmx.l.google.com.",
    "beta.test": "beta-test.mail.protection.outlook.com.",
    "gamma.test": "mx.gamma.test.",
}


@contextmanager
def provider_dns() -> Iterator[DnsServer]:
    with serve_dns() as server:
        for domain, host in MX.items():
            server.add(domain, "MX", f"10 {host}")
        yield server


async def pool_account(tenant: Tenant, system: MailSystem, email: str, **fields: Any) -> None:
    """A mailbox of the local mail system as an account: SMTP through its server, IMAP on its Dovecot."""
    system.add_mailbox(email)
    await create_sink_account(
        tenant,
        system.sink,
        email,
        password=PASSWORD,
        sending_gap=0,
        imap_host=system.dovecot.host,
        imap_port=system.dovecot.port,
        imap_tls="cleartext",
        **fields,
    )


async def enable_warmup(
    app: FastAPI, tenant: Tenant, emails: list[str], database_url: str, tmp: Path
) -> None:
    response = await tenant.client.post(f"{ACCOUNTS}/warmup/enable", json={"emails": emails})
    assert response.status_code == 200, response.text
    settings = make_settings(database_url, tmp)
    runner = JobRunner(settings, app.state.sessionmaker, HANDLERS, worker_id=f"jobs-{uuid.uuid4().hex[:6]}")
    while await runner.run_once():
        pass


@dataclass
class WarmupWorld:
    """The engine's loops on one manual clock."""

    app: FastAPI
    engine: Engine
    warmup: WarmupLoop
    inbox: InboxLoop

    def restart(self) -> None:
        """A new warmup loop, as after a deploy: a new worker with nothing in memory."""
        self.warmup = new_warmup_loop(self.app, self.engine)

    async def tick(self) -> None:
        await self.warmup.tick()
        await self.engine.run()
        while await self.inbox.poll_due():
            pass

    async def close(self) -> None:
        await self.warmup.close()
        await self.engine.close()


def new_warmup_loop(app: FastAPI, engine: Engine) -> WarmupLoop:
    lock = EngineLock(engine.settings.effective_database_url())
    worker = f"warmup-test:{uuid.uuid4().hex[:8]}"
    return WarmupLoop(engine.settings, app.state.sessionmaker, engine.clock, lock, worker_id=worker)


def make_world(app: FastAPI, dns: DnsServer, **settings: Any) -> WarmupWorld:
    values = {"dns_nameservers": [dns.nameserver], "warmup_read_seconds": 3600.0, **settings}
    engine = make_engine(app, **values)
    inbox = InboxLoop(engine.settings, app.state.sessionmaker, engine.clock)
    return WarmupWorld(app=app, engine=engine, warmup=new_warmup_loop(app, engine), inbox=inbox)


async def warmup_rows(app: FastAPI, emails: set[str]) -> list[WarmupMessage]:
    """The warmup messages sent by the given accounts."""
    async with session_scope(app.state.sessionmaker) as session:
        rows = await session.scalars(select(WarmupMessage).where(WarmupMessage.sender_email.in_(emails)))
        return list(rows)
