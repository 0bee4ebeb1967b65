"""Debian packages the tests need (Dovecot, spamd, Chromium), installed with apt-get when missing.

CI runs as root on a clean machine, so the fixtures install what they need themselves and fail loudly when
they cannot. Test workers running side by side (pytest-xdist) take one file lock around apt-get: dpkg allows
one installer at a time, and the second worker finds the packages present once the first is done.
"""

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

APT_TIMEOUT_SECONDS = 900
LOCK_FILE = Path(tempfile.gettempdir()) / "coldsend-tests-apt.lock"


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # Wait for another installer (a developer's apt, unattended upgrades) instead of failing at once.
        ["apt-get", "-o", f"DPkg::Lock::Timeout={APT_TIMEOUT_SECONDS}", *args],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_SECONDS,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def ensure_packages(packages: tuple[str, ...], installed: Callable[[], bool], needed_for: str) -> None:
    """Install `packages` unless `installed()` already holds; fail the test with the reason if that fails."""
    if installed():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(
            f"{needed_for} need Debian's {', '.join(packages)}: apt-get install -y {' '.join(packages)}"
        )
    with LOCK_FILE.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return
        install = ("install", "-y", "-q", "--no-install-recommends", *packages)
        result = _apt_get(*install)
        if result.returncode != 0:
            _apt_get("update", "-q")
            result = _apt_get(*install)
        if result.returncode != 0 or not installed():
            pytest.fail(
                f"could not install {' '.join(packages)} with apt-get:\n{result.stdout}\n{result.stderr}"
            )
