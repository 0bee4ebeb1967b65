"""A real spamd for the placement tests: Debian's SpamAssassin, run as a child process on loopback,
offline (`-L`, no DNS, no Bayes) with the packaged rules. When it is missing, the fixture installs
`spamassassin` and `spamd` with apt-get, as tests/imap_server.py installs Dovecot, and fails loudly if it
cannot. `spamd` (session scope) yields a `Spamd` with its host and port; `score(raw)` asks it through the
`spamc` client, for tests that compare Coldsend's reports with spamd's own answer."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.debian import ensure_packages
from tests.imap_server import _free_port

HOST = "127.0.0.1"
PACKAGES = ("spamassassin", "spamd", "spamc")
START_TIMEOUT_SECONDS = 60.0


def _binary(name: str) -> str | None:
    return shutil.which(name) or (f"/usr/sbin/{name}" if os.access(f"/usr/sbin/{name}", os.X_OK) else None)


def ensure_spamd() -> tuple[str, str]:
    ensure_packages(PACKAGES, lambda: bool(_binary("spamd") and _binary("spamc")), "the placement tests")
    spamd, spamc = _binary("spamd"), _binary("spamc")
    assert spamd is not None
    assert spamc is not None
    return spamd, spamc


@dataclass
class Spamd:
    host: str
    port: int
    spamc: str

    def score(self, raw: bytes) -> tuple[float, list[str]]:
        """spamd's score of a message and the names of the rules it hit, as `spamc -R` reports them."""
        result = subprocess.run(
            [self.spamc, "-d", self.host, "-p", str(self.port), "-R"],
            input=raw,
            capture_output=True,
            timeout=60,
            check=True,
        )
        lines = result.stdout.decode(errors="replace").splitlines()
        score = float(lines[0].split("/")[0])
        rules, table = [], False
        for line in lines:
            if line.startswith("---- "):
                table = True
            elif table and line.strip() and not line.startswith(" " * 20):
                parts = line.split()
                if len(parts) >= 2 and parts[1].replace("_", "").isalnum():
                    rules.append(parts[1])
        return score, rules


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def spamd() -> Iterator[Spamd]:
    binary, client = ensure_spamd()
    directory = Path(tempfile.mkdtemp(prefix="coldsend-spamd-"))
    directory.chmod(0o755)
    port = _free_port()
    command = [
        binary, "-L", "--cf=dns_available no", "--cf=use_bayes 0", "-x", "-i", HOST, "-p", str(port),
        "-A", HOST, "--max-children=2", "-s", "stderr", f"--pidfile={directory / 'spamd.pid'}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command += ["-u", "nobody", "-g", "nogroup"]
    log = (directory / "spamd.log").open("wb")
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _accepts(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"spamd did not start:\n{(directory / 'spamd.log').read_text(errors='replace')}")
        time.sleep(0.1)
    try:
        yield Spamd(HOST, port, client)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)
