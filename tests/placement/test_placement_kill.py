"""Acceptance: two `coldsend worker` processes run a placement test on PostgreSQL; the one in the middle of an
SMTP transaction is killed with SIGKILL; every copy still reaches its seed exactly once (by Message-ID), the
survivor reads them all and finishes the run. spamd is not reachable here: the reports say it was not run."""

import logging
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.models import CopyState, PlacementCopy, PlacementReport, RecordType
from tests.conftest import BACKENDS, Tenant
from tests.imap_server import _free_port
from tests.kill import SECRET_KEY, api_on, kill_mid_flight, set_environment  # noqa: F401 (fixture)
from tests.warmup.mail_system import PASSWORD, MailSystem, mail_system  # noqa: F401 (fixture)
from tests.warmup.world import pool_account, provider_dns
from tests.workers import Worker, wait_for

log = logging.getLogger(__name__)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="COLDSEND_TEST_BACKENDS leaves out PostgreSQL"
)

SENDERS = ["ann@alpha.test", "bea@beta.test", "cy@gamma.test"]
SEEDS = [f"seed{n}@seeds.test" for n in range(30)]
COPIES = len(SENDERS) * len(SEEDS)
KILL_AFTER = 30
IN_FLIGHT = (CopyState.SENDING, CopyState.COMMITTED)


async def test_killed_worker_sends_no_copy_twice_and_the_run_goes_on(
    worker_database: tuple[str, async_sessionmaker[AsyncSession]],
    workers: Callable[[str], list[Worker]],
    api_on: Tenant,  # noqa: F811
    mail_system: MailSystem,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, maker = worker_database
    tenant, system = api_on, mail_system
    for email in SENDERS:
        await pool_account(tenant, system, email)
    for email in SEEDS:
        system.add_mailbox(email)
        body = {
            "email": email,
            "esp": "Google",
            "imap_host": system.dovecot.host,
            "imap_port": system.dovecot.port,
            "imap_password": PASSWORD,
            "imap_tls": "cleartext",
        }
        response = await tenant.client.post("/api/v2/inbox-placement-tests/seeds", json=body)
        assert response.status_code == 200, response.text
    with provider_dns() as dns:
        set_environment(
            monkeypatch,
            {
                "COLDSEND_SECRET_KEY": SECRET_KEY,
                "COLDSEND_SEND_LEASE_SECONDS": "3",
                "COLDSEND_PLACEMENT_POLL_INTERVAL": "0.2",
                "COLDSEND_PLACEMENT_READ_SECONDS": "1",
                "COLDSEND_PLACEMENT_MISSING_MINUTES": "2",
                "COLDSEND_PLACEMENT_SPAMD_PORT": str(_free_port()),  # nothing listens there
                "COLDSEND_SMTP_TIMEOUT_SECONDS": "2",
                "COLDSEND_DNS_NAMESERVERS": dns.nameserver,
                "COLDSEND_WARMUP_POLL_INTERVAL": "3600",
            },
        )
        pool = workers(url)
        body = {
            "name": "Kill",
            "type": 1,
            "sending_method": 1,
            "delivery_mode": 2,
            "email_subject": "Hello",
            "email_body": "Hi there",
            "emails": SENDERS,
        }
        response = await tenant.client.post("/api/v2/inbox-placement-tests", json=body)
        assert response.status_code == 200, response.text
        test_id = response.json()["id"]
        _victim, survivor = await kill_mid_flight(
            maker, pool, system.sink, PlacementCopy, IN_FLIGHT, after=KILL_AFTER, row="a copy"
        )

        async def completed() -> bool:
            return (
                int((await tenant.client.get(f"/api/v2/inbox-placement-tests/{test_id}")).json()["status"])
                == 3
            )

        await wait_for(completed, 240, "the run to be completed", [survivor], every=0.2)
    async with maker() as session:
        copies = list(await session.scalars(select(PlacementCopy)))
        reports = list(await session.scalars(select(PlacementReport)))
    received = system.sink.message_ids()
    assert len(received) == len(set(received)) == COPIES, "duplicate or missing Message-IDs"
    assert {copy.message_id for copy in copies} == set(received)
    assert {(copy.state, copy.record_type) for copy in copies} == {(CopyState.SENT, RecordType.RECEIVED)}
    assert sorted(report.domain for report in reports) == ["alpha.test", "beta.test", "gamma.test"]
    for report in reports:
        assert report.spam_assassin_score is None
        assert report.spam_assassin_report is not None
        assert report.spam_assassin_report["ran"] is False
        assert "not run" in report.spam_assassin_report["error"]
    assert survivor.process.poll() is None, survivor.output()
