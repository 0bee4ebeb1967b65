"""Creating sending accounts through the API, for the tests of accounts and of what uses them."""

from collections.abc import Iterable
from typing import Any

from tests.conftest import Tenant
from tests.security.hostile_peers import HostilePeer
from tests.smtp_sink import SmtpSink

PATH = "/api/v2/accounts"
PASSWORD = "s3cret-Passw0rd"


def account_body(address: str, **overrides: Any) -> dict[str, Any]:
    """A valid create body for `address`: loopback ports where nothing runs, so the login check on
    create puts the account in connection error (and a health check of a leftover account stays on
    loopback). `create_account` and `ensure_accounts` point at servers that let it in instead."""
    body: dict[str, Any] = {
        "email": address,
        "first_name": "Sam",
        "last_name": "Sender",
        "provider_code": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": 587,
        "smtp_username": address,
        "smtp_password": PASSWORD,
        "imap_host": "127.0.0.1",
        "imap_port": 993,
        "imap_username": address,
        "imap_password": PASSWORD,
    }
    body.update(overrides)
    return body


_accepting: list[tuple[SmtpSink, HostilePeer]] = []


def reachable() -> dict[str, Any]:
    """Mail settings of an SMTP and an IMAP server on loopback that let any login in (plain, so
    "cleartext"), running for the test session: an account created with them is active."""
    if not _accepting:
        smtp = SmtpSink(users={}, authenticate=lambda _login, _password: True).start()
        _accepting.append((smtp, HostilePeer("plain-imap").start()))
    smtp, imap = _accepting[0]
    return {"smtp_port": smtp.port, "smtp_tls": "cleartext", "imap_port": imap.port, "imap_tls": "cleartext"}


async def create_account(tenant: Tenant, email: str, **overrides: Any) -> dict[str, Any]:
    """An active account (its logins pass on create) unless `overrides` point it elsewhere."""
    defaults = {
        name: value
        for name, value in reachable().items()
        if f"{name.partition('_')[0]}_port" not in overrides  # a test's own server keeps its own TLS mode
    }
    response = await tenant.client.post(PATH, json=account_body(email, **defaults, **overrides))
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def ensure_accounts(tenant: Tenant, emails: Iterable[str]) -> None:
    """Create the accounts a campaign will name, unless the workspace has them already."""
    for email in emails:
        response = await tenant.client.post(PATH, json=account_body(email, **reachable()))
        assert response.status_code == 200 or "already exists" in response.text, response.text
