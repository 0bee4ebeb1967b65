"""Each placement copy counts against its account's daily limit: with a limit of one, the second copy waits
for the next day (the test says `daily_limits_hit` meanwhile), and a copy sent today leaves no room for
campaign mail."""

import uuid
from datetime import timedelta

from fastapi import FastAPI

from coldsend.clock import ManualClock
from coldsend.engine.placement_loop import PlacementLoop
from coldsend.engine.serial import EngineLock
from tests.conftest import Tenant
from tests.dns_server import serve_dns
from tests.engine.sending import make_engine
from tests.factories import create_sink_account, launch_campaign, step
from tests.imap_server import _free_port
from tests.placement.world import loop_start
from tests.smtp_sink import SmtpSink

TESTS = "/api/v2/inbox-placement-tests"
SENDER = "sender@acme.test"


async def test_copies_count_against_the_daily_limit(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, SENDER, daily_limit=1, sending_gap=0)
    for email in ("one@seeds.test", "two@seeds.test"):
        body = {
            "email": email,
            "esp": "Google",
            "imap_host": "127.0.0.1",
            "imap_port": _free_port(),
            "imap_password": "x",
        }
        assert (await tenant.client.post(f"{TESTS}/seeds", json=body)).status_code == 200
    test_body: dict[str, object] = {
        "name": "Limited",
        "type": 1,
        "sending_method": 1,
        "delivery_mode": 2,
        "email_subject": "Hello",
        "email_body": "Hi",
        "emails": [SENDER],
    }
    test_id = (await tenant.client.post(TESTS, json=test_body)).json()["id"]
    with serve_dns() as dns:
        settings = app.state.settings.model_copy(
            update={"dns_nameservers": [dns.nameserver], "placement_spamd_port": _free_port()}
        )
        clock = ManualClock(loop_start())
        lock = EngineLock(settings.effective_database_url())
        loop = PlacementLoop(
            settings, app.state.sessionmaker, clock, lock, worker_id=f"limit:{uuid.uuid4().hex[:6]}"
        )
        try:
            await loop.tick()
            assert len(smtp_sink.received) == 1
            test = (await tenant.client.get(f"{TESTS}/{test_id}")).json()
            assert test["not_sending_status"] == "daily_limits_hit"
            campaign_id = await launch_campaign(
                tenant, [SENDER], [step("Hi", "Hello")], [{"email": "lee@leads.test"}]
            )
            engine = make_engine(app, start=clock.now())
            try:
                await engine.run()  # the day's one email went to the seed: no campaign mail today
            finally:
                await engine.close()
            assert len(smtp_sink.received) == 1, campaign_id
            clock.advance(timedelta(days=1))
            await loop.tick()
            assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == [
                "one@seeds.test",
                "two@seeds.test",
            ]
            test = (await tenant.client.get(f"{TESTS}/{test_id}")).json()
            assert test["not_sending_status"] is None
        finally:
            await loop.close()
