"""Connected mailboxes at work, over XOAUTH2 against the SMTP sink and Dovecot: a campaign sends and a
reply is read; an access token that expires mid-campaign is renewed; a revoked grant stops the account
(connection error, the provider's reason) until it is connected again; the test email, vitals and the
health check log in the same way; and no token ever shows in an API response or a log line."""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from coldsend import encryption
from coldsend.accounts import login_check
from coldsend.mail.xoauth2 import initial_response
from coldsend.models import Account
from tests.conftest import Tenant
from tests.engine.sending import leads_of, make_engine
from tests.factories import account_body, launch_campaign, step
from tests.inbox.mailboxes import deliver, read_inboxes
from tests.inbox.messages import reply
from tests.oauth.world import Browser, OAuthWorld, account, connect, init, status

TOKEN_KINDS = ("access-", "refresh-", "ey")  # what the test provider issues: tokens and ID tokens (JWT)


async def stored(world: OAuthWorld, email: str) -> Account:
    async with world.app.state.sessionmaker() as session:
        row: Account | None = await session.scalar(select(Account).where(Account.email == email))
    assert row is not None
    return row


def count(world: OAuthWorld, wanted: int) -> Callable[[], Awaitable[bool]]:
    async def reached() -> bool:
        return len(world.sink.received) >= wanted

    return reached


async def one_lead_each(tenant: Tenant, email: str, *leads: str) -> str:
    body = [{"email": lead, "first_name": lead.split("@")[0].title()} for lead in leads]
    return await launch_campaign(tenant, [email], [step("Hi {{firstName}}", "Hello")], body)


async def test_connect_send_and_read_a_reply_with_no_token_in_sight(
    world: OAuthWorld, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response] = []
    tenant.client.event_hooks["response"].append(lambda response: _kept(answers, response))
    email = world.mailbox("Ada Lovelace")
    assert await connect(world, tenant, email) == {
        "status": "success",
        "email": email,
        "name": "Ada Lovelace",
    }
    shown = await account(tenant, email)
    assert (shown["provider_code"], shown["status"]) == (2, 1)
    row = await stored(world, email)
    assert (row.smtp_host, row.smtp_port, row.smtp_tls) == (world.sink.host, world.sink.port, "starttls")
    assert (row.imap_host, row.imap_port, row.imap_username) == (
        world.dovecot.host,
        world.dovecot.port,
        email,
    )
    assert row.oauth_provider == "google"
    assert row.oauth_refresh_token_encrypted is not None
    refresh_token = encryption.decrypt(world.settings, row.oauth_refresh_token_encrypted)
    assert refresh_token in world.provider.issued(email)
    assert refresh_token not in row.oauth_refresh_token_encrypted
    audit = (await tenant.client.get("/api/v2/audit-logs", params={"activity_type": 6})).json()["items"]
    assert [entry["audit_metadata"]["email"] for entry in audit] == [email]

    campaign_id = await one_lead_each(tenant, email, "lee@lead.test")
    engine = make_engine(world.app)
    try:
        await engine.run()
        [sent] = world.sink.received
        assert (sent.login, sent.rcpt_tos) == (email, ["lee@lead.test"])
        answer = reply(
            to_message_id=str(sent.message["Message-ID"]), from_email="lee@lead.test", to_email=email
        )
        await deliver(world.dovecot, email, answer)
        await read_inboxes(world.app, engine)
    finally:
        await engine.close()
    assert (await leads_of(tenant, campaign_id))["lee@lead.test"]["status"] == 3  # replied
    received = await tenant.client.get(
        "/api/v2/emails", params={"email_type": "received", "lead": "lee@lead.test"}
    )
    assert [item["eaccount"] for item in received.json()["items"]] == [email]
    await tenant.client.get("/api/v2/accounts", params={"search": email})

    secrets = [token for token in world.provider.issued(email) if token.startswith(TOKEN_KINDS)]
    secrets += [initial_response(email, token) for token in secrets]
    assert len(answers) >= 8
    assert [answer.url for answer in answers if any(secret in answer.text for secret in secrets)] == []
    lines = [record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")]
    assert any(record.name.startswith("aioimaplib") for record in caplog.records)  # client debug logs kept
    assert [line for line in lines if any(secret in line for secret in secrets)] == []


async def _kept(answers: list[httpx.Response], response: httpx.Response) -> None:
    await response.aread()
    answers.append(response)


async def test_an_access_token_that_expires_mid_campaign_is_renewed(
    world: OAuthWorld, tenant: Tenant
) -> None:
    email = world.mailbox()
    assert (await connect(world, tenant, email))["status"] == "success"
    await one_lead_each(tenant, email, "one@lead.test", "two@lead.test")
    engine = make_engine(world.app)
    try:
        await engine.run()
        assert [item.rcpt_tos for item in world.sink.received] == [["one@lead.test"]]
        world.provider.expire_access_tokens(email)  # its hour is up, before Coldsend's clock says so
        await engine.run_until(count(world, 2), step=timedelta(minutes=1), limit=timedelta(hours=2))
    finally:
        await engine.close()
    assert [item.login for item in world.sink.received] == [email, email]
    assert world.provider.refreshes(email) == 1
    assert (await account(tenant, email))["status"] == 1


async def test_a_token_about_to_expire_is_renewed_before_logging_in(
    world: OAuthWorld, tenant: Tenant
) -> None:
    world.provider.access_token_seconds = 120  # inside the five minutes' margin
    email = world.mailbox()
    assert (await connect(world, tenant, email))["status"] == "success"
    await one_lead_each(tenant, email, "soon@lead.test")
    engine = make_engine(world.app)
    try:
        await engine.run()
    finally:
        await engine.close()
    assert [item.login for item in world.sink.received] == [email]
    assert world.provider.refreshes(email) == 1
    assert [token for token in world.provider.refused if token in world.provider.issued(email)] == []


async def _status_is(tenant: Tenant, email: str, wanted: int) -> Callable[[], Awaitable[bool]]:
    async def reached() -> bool:
        return bool((await account(tenant, email))["status"] == wanted)

    return reached


async def test_a_revoked_grant_stops_sending_until_the_mailbox_is_connected_again(
    world: OAuthWorld, tenant: Tenant
) -> None:
    email = world.mailbox()
    assert (await connect(world, tenant, email))["status"] == "success"
    await one_lead_each(tenant, email, "one@lead.test", "two@lead.test")
    engine = make_engine(world.app)
    try:
        await engine.run()
        assert len(world.sink.received) == 1
        world.provider.revoke(email)  # the owner removed the app's access in their account settings
        broken = await _status_is(tenant, email, -1)
        await engine.run_until(broken, step=timedelta(minutes=1), limit=timedelta(hours=2))
        shown = await account(tenant, email)
        assert shown["status_message"] == {
            "code": "EAUTH",
            "e_message": "Google refused to renew the access token (invalid_grant: Token has been expired or "
            "revoked.); connect the mailbox again through POST /api/v2/oauth/google/init",
            "command": "XOAUTH2",
            "response": "invalid_grant",
        }
        await engine.advance(timedelta(days=1))
        assert len(world.sink.received) == 1  # nothing goes out from it

        again = await connect(world, tenant, email)
        assert again == {"status": "success", "email": email, "name": "Ada Lovelace"}
        shown = await account(tenant, email)
        assert shown["status"] == 1
        assert "status_message" not in shown
        await engine.run_until(count(world, 2), step=timedelta(minutes=1), limit=timedelta(hours=1))
    finally:
        await engine.close()
    assert [item.rcpt_tos for item in world.sink.received] == [["one@lead.test"], ["two@lead.test"]]
    audit = (await tenant.client.get("/api/v2/audit-logs", params={"activity_type": 36})).json()["items"]
    assert [entry["audit_metadata"].get("action") for entry in audit] == ["oauth_reconnect"]


async def test_the_test_email_vitals_and_health_check_log_in_with_xoauth2(
    world: OAuthWorld, tenant: Tenant
) -> None:
    email = world.mailbox()
    assert (await connect(world, tenant, email))["status"] == "success"
    test_email = {
        "eaccount": email,
        "to_address_email_list": "x@lead.test",
        "subject": "Hi",
        "body": {"html": "<p>Hi</p>"},
    }
    assert (await tenant.client.post("/api/v2/emails/test", json=test_email)).json() == {"status": "success"}
    assert [item.login for item in world.sink.received] == [email]
    vitals = (await tenant.client.post("/api/v2/accounts/test/vitals", json={"accounts": [email]})).json()
    [checked] = vitals["success_list"] + vitals["failure_list"]
    assert (checked["smtp"], checked["imap"]) == (True, True)
    sessions = world.app.state.sessionmaker
    assert await login_check.check_imap(await stored(world, email), world.settings, sessions) is None

    world.provider.revoke(email)
    failure = await login_check.check_imap(await stored(world, email), world.settings, sessions)
    assert failure is not None
    assert failure[0] == "EAUTH"
    assert "invalid_grant" in failure[1]
    shown = await account(tenant, email)
    assert (shown["status"], shown["status_message"]["command"]) == (-1, "XOAUTH2")
    refused = (await tenant.client.post("/api/v2/emails/test", json=test_email)).json()
    assert refused["error"] == "ACC_AUTH_ERROR"


async def test_reconnecting_a_password_account_moves_it_to_xoauth2(world: OAuthWorld, tenant: Tenant) -> None:
    email = world.mailbox()
    body = account_body(email, first_name="Pat", last_name="Word")  # its servers do not answer
    assert (await tenant.client.post("/api/v2/accounts", json=body)).json()["status"] == -1
    started = await init(tenant)
    browser = Browser(world.app, email)
    await browser.land(await browser.consent(started["auth_url"]))
    assert (await status(tenant, started["session_id"]))["status"] == "success"
    shown = await account(tenant, email)
    assert (shown["status"], shown["provider_code"], shown["first_name"]) == (1, 2, "Pat")
    row = await stored(world, email)
    assert (row.smtp_port, row.imap_port, row.imap_password_encrypted) == (
        world.sink.port,
        world.dovecot.port,
        None,
    )
    engine = make_engine(world.app)
    try:
        await one_lead_each(tenant, email, "pat@lead.test")
        await engine.run()
    finally:
        await engine.close()
    assert [item.login for item in world.sink.received] == [email]
