"""Creating sending accounts through the API, for the tests of accounts and of what uses them."""

from collections.abc import Iterable
from typing import Any

from tests.conftest import Tenant

PATH = "/api/v2/accounts"
PASSWORD = "s3cret-Passw0rd"


def account_body(address: str, **overrides: Any) -> dict[str, Any]:
    """A valid create body for `address`: loopback mail servers that need not run (nothing connects on
    create, and a health check of a leftover account stays on loopback)."""
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


async def create_account(tenant: Tenant, email: str, **overrides: Any) -> dict[str, Any]:
    response = await tenant.client.post(PATH, json=account_body(email, **overrides))
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def ensure_accounts(tenant: Tenant, emails: Iterable[str]) -> None:
    """Create the accounts a campaign will name, unless the workspace has them already."""
    for email in emails:
        response = await tenant.client.post(PATH, json=account_body(email))
        assert response.status_code == 200 or "already exists" in response.text, response.text
