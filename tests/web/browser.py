"""A real browser for the dashboard tests: Debian's chromium, installed with apt-get when missing (as the IMAP
tests install Dovecot), driven headless by Playwright for Python through `executable_path` (Playwright's own
browser download cannot work here)."""

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.debian import ensure_packages

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def ensure_chromium() -> str:
    """The chromium binary, installed with apt-get when missing."""
    ensure_packages(("chromium",), lambda: _chromium() is not None, "the dashboard tests")
    binary = _chromium()
    assert binary is not None
    return binary


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Each test context is a fresh profile (Playwright's launch makes one per browser, in a temp dir)."""
    executable = ensure_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save a screenshot of every page they visit (under the run's temporary directory)."""
    return tmp_path_factory.mktemp("screenshots")
