"""A real browser for the dashboard tests: Debian's chromium, installed with apt-get when missing (as the IMAP
tests install Dovecot), driven headless by Playwright for Python through `executable_path` (Playwright's own
browser download cannot work here)."""

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

APT_TIMEOUT_SECONDS = 900
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


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_SECONDS,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def ensure_chromium() -> str:
    """The chromium binary, installed with apt-get (after `apt-get update` if needed) when missing."""
    binary = _chromium()
    if binary:
        return binary
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail("chromium is needed for the dashboard tests: apt-get install -y chromium")
    install = ("install", "-y", "-q", "--no-install-recommends", "chromium")
    result = _apt_get(*install)
    if result.returncode != 0:
        _apt_get("update", "-q")
        result = _apt_get(*install)
    binary = _chromium()
    if result.returncode != 0 or not binary:
        pytest.fail(f"could not install chromium with apt-get:\n{result.stdout}\n{result.stderr}")
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
