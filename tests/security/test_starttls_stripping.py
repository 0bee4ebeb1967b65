"""No password in the clear unless the account says so: an SMTP or IMAP server on a port without
implicit TLS that does not offer STARTTLS (what a downgrade attacker arranges) gets no AUTH or LOGIN,
and the account's check says why. smtp_tls/imap_tls "cleartext" is the explicit opt-in."""

import uuid
from typing import Any

from tests.conftest import OverrideSettings, Tenant
from tests.factories import ACCOUNTS, account_body
from tests.security.hostile_peers import MakeHostilePeer
from tests.smtp_sink import MakeSmtpSink, SmtpSink

PASSWORD = "s3cret-Passw0rd"


def recording_sink(make_smtp_sink: MakeSmtpSink, attempts: list[str]) -> SmtpSink:
    """A plain sink (no STARTTLS) that offers AUTH and records every attempt at it."""

    def authenticate(login: str, password: str) -> bool:
        attempts.append(login)
        return password == PASSWORD

    return make_smtp_sink(users={}, require_auth=True, authenticate=authenticate)


async def vitals(tenant: Tenant, email: str) -> dict[str, Any]:
    response = await tenant.client.post(f"{ACCOUNTS}/test/vitals", json={"accounts": [email]})
    assert response.status_code == 200, response.text
    [item] = response.json()["failure_list"]
    return dict(item)


async def test_smtp_without_starttls_gets_no_auth_by_default(
    tenant: Tenant, make_smtp_sink: MakeSmtpSink, override_settings: OverrideSettings
) -> None:
    override_settings(smtp_timeout_seconds=5, imap_timeout_seconds=5)
    attempts: list[str] = []
    sink = recording_sink(make_smtp_sink, attempts)
    email = f"strip-{uuid.uuid4().hex[:8]}@tls.test"
    body = account_body(email, smtp_port=sink.port, smtp_password=PASSWORD)  # port 587-like: STARTTLS
    assert (await tenant.client.post(ACCOUNTS, json=body)).status_code == 200
    item = await vitals(tenant, email)
    assert item["smtp"] is False
    assert "offers no STARTTLS" in item["messages"]["smtp"]
    assert attempts == []


async def test_smtp_tls_none_never_sends_the_password(
    tenant: Tenant, make_smtp_sink: MakeSmtpSink, override_settings: OverrideSettings
) -> None:
    override_settings(smtp_timeout_seconds=5, imap_timeout_seconds=5)
    attempts: list[str] = []
    sink = recording_sink(make_smtp_sink, attempts)
    email = f"none-{uuid.uuid4().hex[:8]}@tls.test"
    body = account_body(email, smtp_port=sink.port, smtp_password=PASSWORD, smtp_tls="none")
    assert (await tenant.client.post(ACCOUNTS, json=body)).status_code == 200
    item = await vitals(tenant, email)
    assert item["smtp"] is False
    assert 'smtp_tls is "none"' in item["messages"]["smtp"]
    assert attempts == []
    # The explicit opt-in: the same server, the password in the clear.
    patched = await tenant.client.patch(f"{ACCOUNTS}/{email}", json={"smtp_tls": "cleartext"})
    assert patched.status_code == 200, patched.text
    assert (await vitals(tenant, email))["smtp"] is True
    assert attempts
    assert set(attempts) == {email}


async def test_imap_without_starttls_gets_no_login_by_default(
    tenant: Tenant,
    make_hostile_peer: MakeHostilePeer,
    override_settings: OverrideSettings,
) -> None:
    override_settings(smtp_timeout_seconds=5, imap_timeout_seconds=5)
    peer = make_hostile_peer("plain-imap")
    email = f"imap-{uuid.uuid4().hex[:8]}@tls.test"
    body = account_body(email, imap_port=peer.port, imap_password=PASSWORD)  # not 993: STARTTLS
    assert (await tenant.client.post(ACCOUNTS, json=body)).status_code == 200
    item = await vitals(tenant, email)
    assert item["imap"] is False
    assert "offers no STARTTLS" in item["messages"]["imap"]
    assert peer.logins == []
    patched = await tenant.client.patch(f"{ACCOUNTS}/{email}", json={"imap_tls": "none"})
    assert patched.status_code == 200, patched.text
    assert 'imap_tls is "none"' in (await vitals(tenant, email))["messages"]["imap"]
    assert peer.logins == []
    patched = await tenant.client.patch(f"{ACCOUNTS}/{email}", json={"imap_tls": "cleartext"})
    assert patched.status_code == 200, patched.text
    assert (await vitals(tenant, email))["imap"] is True
    assert peer.logins
    assert all(PASSWORD in login for login in peer.logins)
