"""An account marked as a placement seed never sends campaign mail and never warms up: a campaign naming it
and another account sends only from the other; its warmup, once enabled, does not put it in the pool."""

from pathlib import Path

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import make_engine
from tests.factories import create_sink_account, launch_campaign, step
from tests.smtp_sink import SmtpSink
from tests.warmup.world import enable_warmup

SEED = "seedbox@acme.test"
SENDER = "sender@acme.test"


async def test_a_seed_account_sends_no_campaign_and_does_not_warm_up(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, database_url: str, tmp_path: Path
) -> None:
    for email in (SEED, SENDER):
        await create_sink_account(tenant, smtp_sink, email, sending_gap=0)
    response = await tenant.client.post(
        "/api/v2/inbox-placement-tests/seeds", json={"email": SEED, "esp": "Other"}
    )
    assert response.status_code == 200, response.text
    leads = [{"email": f"lead{n}@prospects.test"} for n in range(4)]
    await launch_campaign(tenant, [SEED, SENDER], [step("Hi {{firstName}}", "Hello")], leads)
    engine = make_engine(app)
    try:
        await engine.run()
    finally:
        await engine.close()
    assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == sorted(lead["email"] for lead in leads)
    assert {item.mail_from for item in smtp_sink.received} == {SENDER}
    await enable_warmup(app, tenant, [SEED, SENDER], database_url, tmp_path)
    pool = (await tenant.client.get("/api/v2/accounts/warmup/pool")).json()
    assert [mailbox["email"] for mailbox in pool["mailboxes"]] == [SENDER]
