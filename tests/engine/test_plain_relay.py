"""An account on a relay that takes no AUTH (a local Postfix, an IP-authorised smarthost): empty SMTP
credentials and smtp_tls "none" send a campaign end to end; credentials for a server that offers no AUTH
are an account error that says what to change."""

import uuid

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import make_engine
from tests.factories import create_sink_account, launch_campaign, step
from tests.smtp_sink import MakeSmtpSink

LEADS = [{"email": "ann@lead.test", "first_name": "Ann"}, {"email": "bob@lead.test", "first_name": "Bob"}]


async def test_campaign_through_a_relay_without_auth(
    app: FastAPI, tenant: Tenant, make_smtp_sink: MakeSmtpSink
) -> None:
    relay = make_smtp_sink(users={}, require_auth=False, offer_auth=False)
    account = f"relay-{uuid.uuid4().hex[:8]}@sender.test"
    await create_sink_account(
        tenant, relay, account, smtp_username="", smtp_password="", smtp_tls="none", sending_gap=0
    )
    await launch_campaign(tenant, [account], [step("Hi {{firstName}}", "Hello")], LEADS)
    engine = make_engine(app)
    try:
        await engine.run()
    finally:
        await engine.close()
    assert sorted(item.rcpt_tos[0] for item in relay.received) == ["ann@lead.test", "bob@lead.test"]
    assert {item.login for item in relay.received} == {None}
    assert {item.mail_from for item in relay.received} == {account}
    shown = (await tenant.client.get(f"/api/v2/accounts/{account}")).json()
    assert shown["status"] == 1


async def test_credentials_for_a_relay_without_auth_say_what_to_change(
    app: FastAPI, tenant: Tenant, make_smtp_sink: MakeSmtpSink
) -> None:
    relay = make_smtp_sink(users={}, require_auth=False, offer_auth=False)
    account = f"relay-{uuid.uuid4().hex[:8]}@sender.test"
    await create_sink_account(tenant, relay, account, sending_gap=0)  # a password, over "cleartext"
    await launch_campaign(tenant, [account], [step("Hi {{firstName}}", "Hello")], LEADS)
    engine = make_engine(app)
    try:
        await engine.run()
    finally:
        await engine.close()
    assert relay.received == []
    shown = (await tenant.client.get(f"/api/v2/accounts/{account}")).json()
    assert shown["status"] == -1
    assert "offers no AUTH; remove the credentials or use port 587 with STARTTLS" in str(
        shown["status_message"]
    )
