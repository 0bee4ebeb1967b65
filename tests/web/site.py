"""A real `coldsend serve` for the dashboard tests: a fresh database (SQLite or PostgreSQL, as the run's
backend), its first start's API key and one-time sign-in link, engine loops polling fast, and its own DNS
server on loopback (the site asks nothing of the system resolver)."""

import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Response

from tests.conftest import create_pg_database, drop_pg_database
from tests.dns_server import DnsServer, serve_dns
from tests.test_cli import cli_env, free_port, serving, wait_healthy

FAST = {
    "COLDSEND_SEND_POLL_INTERVAL": "0.2",
    "COLDSEND_JOB_POLL_INTERVAL": "0.2",
    "COLDSEND_INBOX_POLL_SECONDS": "0.5",
    "COLDSEND_SECRET_KEY": "dashboard-test-secret",
    "COLDSEND_LOGIN_ATTEMPTS_PER_IP": "1000",
    "COLDSEND_WEBHOOK_ALLOW_PRIVATE": "true",
    "COLDSEND_PLACEMENT_POLL_INTERVAL": "0.5",
    "COLDSEND_PLACEMENT_READ_SECONDS": "1",
    "COLDSEND_PLACEMENT_IP_BLACKLISTS": "[]",
    "COLDSEND_PLACEMENT_DOMAIN_BLACKLISTS": "[]",
}
PASSWORD = "a long enough passphrase"


@dataclass
class Site:
    url: str
    key: str  # the first start's all:all API key
    setup_link: str  # the first start's one-time sign-in link
    env: dict[str, str]
    stderr: Path
    screenshots: Path
    backend: str
    dns: DnsServer  # the site's nameserver: tests add the records they need

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )

    async def visit(self, page: Page, path: str, name: str) -> Response | None:
        """Open a page and save its screenshot under the run's temporary directory."""
        response = await page.goto(self.url + path)
        await self.shot(page, name)
        return response

    async def shot(self, page: Page, name: str) -> None:
        await page.screenshot(path=str(self.screenshots / f"{self.backend}-{name}.png"), full_page=True)


async def started_site(backend: str, directory: Path, screenshots: Path, **extra: str) -> AsyncIterator[Site]:
    database, name = (None, None)
    if backend == "postgresql":
        database, name = await create_pg_database()
    port = free_port()
    # No spamd listens on a port just freed: placement reports say SpamAssassin was not run.
    spamd = {"COLDSEND_PLACEMENT_SPAMD_PORT": str(free_port())}
    stderr = directory / "serve.log"
    try:
        with serve_dns() as dns, stderr.open("w") as log:
            env = {**cli_env(database, directory / "data"), **FAST, **spamd, **extra}
            env["COLDSEND_DNS_NAMESERVERS"] = dns.nameserver
            with serving(port, env, stderr=log) as process:
                assert process.stdout is not None
                key = process.stdout.readline().strip()
                link = process.stdout.readline().strip()
                wait_healthy(port)
                assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/sign-in/link/\S+", link), link
                yield Site(f"http://127.0.0.1:{port}", key, link, env, stderr, screenshots, backend, dns)
    finally:
        if name is not None:
            await drop_pg_database(name)


async def sign_in(context: BrowserContext, site: Site, email: str, password: str = PASSWORD) -> Page:
    page = await context.new_page()
    await page.goto(site.url + "/sign-in")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    return page


async def csrf_of(page: Page) -> str:
    token = await page.get_attribute("input[name=csrf_token]", "value", timeout=5000)
    assert token
    return token


def run_cli(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    from tests.test_cli import run

    return run(list(args), site.env)


@pytest.fixture(scope="module")
async def site(
    backend: str, tmp_path_factory: pytest.TempPathFactory, screenshots: Path
) -> AsyncIterator[Site]:
    async for started in started_site(backend, tmp_path_factory.mktemp("site"), screenshots):
        yield started
