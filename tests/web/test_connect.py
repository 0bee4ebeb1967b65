""" "Connect Google" on the Accounts page, in Chromium against a served app with an OAuth app configured (the
tests' own authorization server): the browser goes through consent and back, and the mailbox is an account."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.oauth_provider import GOOGLE_CLIENT, OAuthProvider
from tests.web.site import PASSWORD, Site, started_site

MAILBOX = "ada@workspace-oauth.test"


@pytest.fixture(scope="module")
async def oauth_site(
    backend: str, tmp_path_factory: pytest.TempPathFactory, screenshots: Path, oauth_provider: OAuthProvider
) -> AsyncIterator[Site]:
    endpoints = oauth_provider.endpoints()
    settings = {
        "COLDSEND_GOOGLE_CLIENT_ID": GOOGLE_CLIENT[0],
        "COLDSEND_GOOGLE_CLIENT_SECRET": GOOGLE_CLIENT[1],
        "COLDSEND_GOOGLE_AUTHORIZATION_URL": endpoints["authorization_url"],
        "COLDSEND_GOOGLE_TOKEN_URL": endpoints["token_url"],
        "COLDSEND_GOOGLE_USERINFO_URL": endpoints["userinfo_url"],
        # No mail server behind them: the account is saved, its login check fails, as the API's would.
        "COLDSEND_GOOGLE_SMTP_SERVER": "127.0.0.1:1",
        "COLDSEND_GOOGLE_IMAP_SERVER": "127.0.0.1:1",
    }
    async for site in started_site(backend, tmp_path_factory.mktemp("oauth-site"), screenshots, **settings):
        oauth_provider.redirect_prefixes.append(f"{site.url}/oauth/callback/")
        yield site


async def test_connect_google_adds_the_mailbox(
    oauth_site: Site, oauth_provider: OAuthProvider, browser: Browser
) -> None:
    oauth_provider.add_user(MAILBOX, "Ada Lovelace")
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(oauth_site.setup_link)
        await page.fill("#email", "owner@example.com")
        await page.fill("#password", PASSWORD)
        await page.fill("#confirmation", PASSWORD)
        await page.click("text=Set password and sign in")
        await oauth_site.visit(page, "/accounts/new", "account-connect")
        await expect(page.locator("#connect-microsoft")).to_have_count(0)  # no Microsoft app configured
        await context.add_cookies([{"name": "signed_in", "value": MAILBOX, "url": oauth_provider.url}])
        await page.click("#connect-google")
        await expect(page.locator("h1")).to_contain_text("onnected")
        await oauth_site.shot(page, "account-connected")
    finally:
        await context.close()
    async with oauth_site.api() as api:
        account = (await api.get(f"/api/v2/accounts/{MAILBOX}")).json()
    assert account["provider_code"] == 2
    assert account["email"] == MAILBOX
