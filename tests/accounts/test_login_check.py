"""Creating an account, or changing its mail settings, checks both logins at once against real servers
(Dovecot, the aiosmtpd sink): the account is saved either way, and a failure is its status (connection
error) with a status_message naming the protocol and why."""

import socket
import uuid
from typing import Any

import pytest

from tests.conftest import OverrideSettings, Tenant
from tests.factories import ACCOUNTS, account_body, reachable
from tests.imap_server import Dovecot
from tests.security.hostile_peers import HostilePeer
from tests.smtp_sink import MakeSmtpSink

IMAP_PASSWORD = "imap-secret"
SMTP_PASSWORD = "smtp-secret"
CHECK_SECONDS = 2.0


def body_for(email: str, dovecot: Dovecot, smtp_port: int, **overrides: Any) -> dict[str, Any]:
    return account_body(
        email,
        smtp_port=smtp_port,
        smtp_password=SMTP_PASSWORD,
        smtp_tls="cleartext",  # a plain sink
        imap_port=dovecot.port,  # STARTTLS, verified with Dovecot's CA
        imap_password=IMAP_PASSWORD,
        **overrides,
    )


async def created(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = await tenant.client.post(ACCOUNTS, json=body)
    assert response.status_code == 200, response.text
    account: dict[str, Any] = response.json()
    stored = await tenant.client.get(f"{ACCOUNTS}/{body['email']}")
    assert stored.json()["status"] == account["status"]  # saved as answered
    return account


@pytest.fixture(autouse=True)
def trusting_dovecot(override_settings: OverrideSettings, dovecot: Dovecot) -> None:
    """The app trusts the Dovecot fixture's CA, so its STARTTLS logins can pass."""
    override_settings(imap_ca_file=dovecot.ca_path)


class TestLoginCheckOnCreate:
    async def test_both_logins_pass(
        self,
        tenant: Tenant,
        dovecot: Dovecot,
        make_smtp_sink: MakeSmtpSink,
    ) -> None:
        email = f"ok-{uuid.uuid4().hex[:8]}@check.test"
        dovecot.add_user(email, IMAP_PASSWORD)
        sink = make_smtp_sink(users={email: SMTP_PASSWORD})
        account = await created(tenant, body_for(email, dovecot, sink.port))
        assert account["status"] == 1
        assert "status_message" not in account

    async def test_wrong_imap_password(
        self,
        tenant: Tenant,
        dovecot: Dovecot,
        make_smtp_sink: MakeSmtpSink,
    ) -> None:
        email = f"imap-{uuid.uuid4().hex[:8]}@check.test"
        dovecot.add_user(email, "another-password")
        sink = make_smtp_sink(users={email: SMTP_PASSWORD})
        account = await created(tenant, body_for(email, dovecot, sink.port))
        assert account["status"] == -1
        message = account["status_message"]
        assert (message["code"], message["command"]) == ("EAUTH", "LOGIN")
        assert "IMAP login refused" in message["e_message"]
        assert "AUTHENTICATIONFAILED" in message["e_message"]
        assert IMAP_PASSWORD not in str(message)

    async def test_wrong_smtp_password(
        self,
        tenant: Tenant,
        dovecot: Dovecot,
        make_smtp_sink: MakeSmtpSink,
    ) -> None:
        email = f"smtp-{uuid.uuid4().hex[:8]}@check.test"
        dovecot.add_user(email, IMAP_PASSWORD)
        sink = make_smtp_sink(users={email: "another-password"})
        account = await created(tenant, body_for(email, dovecot, sink.port))
        assert account["status"] == -1
        message = account["status_message"]
        assert (message["code"], message["command"]) == ("EAUTH", "AUTH")
        assert "SMTP login refused" in message["e_message"]
        assert "535" in message["e_message"]
        assert "IMAP" not in message["e_message"]
        assert SMTP_PASSWORD not in str(message)

    async def test_unreachable_smtp_host(self, tenant: Tenant, dovecot: Dovecot) -> None:
        email = f"unreachable-{uuid.uuid4().hex[:8]}@check.test"
        dovecot.add_user(email, IMAP_PASSWORD)
        with socket.socket() as holder:  # bound, not listening: connections are refused
            holder.bind(("127.0.0.1", 0))
            port = int(holder.getsockname()[1])
            account = await created(tenant, body_for(email, dovecot, port))
        assert account["status"] == -1
        message = account["status_message"]
        assert (message["code"], message["command"]) == ("ECONNECTION", "AUTH")
        assert f"SMTP server 127.0.0.1:{port} unreachable" in message["e_message"]
        assert "IMAP" not in message["e_message"]

    async def test_silent_server(
        self,
        tenant: Tenant,
        override_settings: OverrideSettings,
        make_smtp_sink: MakeSmtpSink,
    ) -> None:
        override_settings(account_check_seconds=CHECK_SECONDS)
        email = f"down-{uuid.uuid4().hex[:8]}@check.test"
        sink = make_smtp_sink(users={email: SMTP_PASSWORD})
        silent = HostilePeer("silent").start()
        try:
            body = account_body(email, **{**reachable(), "imap_port": silent.port, "imap_tls": "cleartext"})
            body.update(smtp_port=sink.port, smtp_password=SMTP_PASSWORD)
            account = await created(tenant, body)
        finally:
            silent.stop()
        assert account["status"] == -1
        message = account["status_message"]
        assert (message["code"], message["command"]) == ("ECONNECTION", "LOGIN")
        assert f"within {CHECK_SECONDS:g} s" in message["e_message"]


class TestLoginCheckOnPatch:
    async def test_changed_settings_are_checked(
        self,
        tenant: Tenant,
        dovecot: Dovecot,
        make_smtp_sink: MakeSmtpSink,
    ) -> None:
        email = f"patch-{uuid.uuid4().hex[:8]}@check.test"
        dovecot.add_user(email, IMAP_PASSWORD)
        sink = make_smtp_sink(users={email: SMTP_PASSWORD})
        assert (await created(tenant, body_for(email, dovecot, sink.port)))["status"] == 1
        broken = await tenant.client.patch(f"{ACCOUNTS}/{email}", json={"smtp_password": "not-it"})
        assert broken.status_code == 200, broken.text
        assert broken.json()["status"] == -1
        assert "SMTP login refused" in broken.json()["status_message"]["e_message"]
        fixed = await tenant.client.patch(f"{ACCOUNTS}/{email}", json={"smtp_password": SMTP_PASSWORD})
        assert fixed.json()["status"] == 1
        assert "status_message" not in fixed.json()
        # Settings other than the mail servers' are not a reason to connect.
        unrelated = await tenant.client.patch(f"{ACCOUNTS}/{email}", json={"daily_limit": 10})
        assert unrelated.json()["status"] == 1
