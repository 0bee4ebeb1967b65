"""The world of the OAuth tests: the app's settings point both providers at the test authorization server
(tests/oauth_provider.py) and new accounts at an SMTP sink and a Dovecot that take its tokens (XOAUTH2);
a `Browser` does what the person connecting a mailbox does between init and the callback."""

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from coldsend.config import Settings
from tests.conftest import Tenant, client_for
from tests.imap_server import Dovecot
from tests.inbox.mailboxes import PASSWORD as DELIVERY_PASSWORD  # test mail is APPENDed with it
from tests.oauth_provider import GOOGLE_CLIENT, MICROSOFT_CLIENT, OAuthProvider
from tests.smtp_sink import SmtpSink

PUBLIC_URL = "http://coldsend.test"  # the test clients' base URL: the callback comes back to the app


@dataclass
class OAuthWorld:
    app: FastAPI
    provider: OAuthProvider
    sink: SmtpSink
    dovecot: Dovecot
    settings: Settings

    def mailbox(self, name: str = "Ada Lovelace") -> str:
        """A new person with a mailbox: signed up at the provider, with an INBOX on the Dovecot."""
        email = f"ada-{uuid.uuid4().hex[:8]}@workspace.test"
        self.provider.add_user(email, name)
        self.dovecot.add_user(email, DELIVERY_PASSWORD)
        return email


def oauth_settings(provider: OAuthProvider, sink: SmtpSink, dovecot: Dovecot) -> dict[str, Any]:
    values: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "smtp_ca_file": sink.ca_path,
        "imap_ca_file": dovecot.ca_path,
    }
    for name, (client_id, secret) in (("google", GOOGLE_CLIENT), ("microsoft", MICROSOFT_CLIENT)):
        values[f"{name}_client_id"] = client_id
        values[f"{name}_client_secret"] = SecretStr(secret)  # model_copy does not validate
        values.update({f"{name}_{key}": url for key, url in provider.endpoints().items()})
        values[f"{name}_smtp_server"] = f"{sink.host}:{sink.port}"
        values[f"{name}_imap_server"] = f"{dovecot.host}:{dovecot.port}"
    return values


@dataclass
class Browser:
    """The browser of the person connecting a mailbox: signed in at the provider (its cookie), it follows
    `auth_url` to the consent screen and the provider's redirect back to the app."""

    app: FastAPI
    email: str
    cookies: dict[str, str] = field(default_factory=dict)

    async def consent(self, auth_url: str, *, deny: bool = False, untick: str | None = None) -> str:
        """The URL the provider sends the browser back to (the app's callback)."""
        cookies = {"signed_in": self.email, **self.cookies}
        if deny:
            cookies["consent"] = "deny"
        if untick:
            cookies["unticked"] = untick
        async with httpx.AsyncClient(cookies=cookies) as web:
            answer = await web.get(auth_url, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["location"])

    async def land(self, callback_url: str) -> httpx.Response:
        """Follow the redirect to the app (no API key: the person's browser has none)."""
        parts = urlsplit(callback_url)
        assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL, callback_url
        async with client_for(self.app) as anonymous:
            return await anonymous.get(f"{parts.path}?{parts.query}")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def init(tenant: Tenant, provider: str = "google") -> dict[str, Any]:
    response = await tenant.client.post(f"/api/v2/oauth/{provider}/init")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def status(tenant: Tenant, session_id: str) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v2/oauth/session/status/{session_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def connect(world: OAuthWorld, tenant: Tenant, email: str, provider: str = "google") -> dict[str, Any]:
    """The whole flow for `email`: init, consent, callback; the session's final status."""
    started = await init(tenant, provider)
    browser = Browser(world.app, email)
    page = await browser.land(await browser.consent(started["auth_url"]))
    assert page.status_code == 200, page.text
    return await status(tenant, started["session_id"])


async def account(tenant: Tenant, email: str) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v2/accounts/{email}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
