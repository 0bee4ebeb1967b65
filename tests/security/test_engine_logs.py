"""The engine's log lines, as `coldsend serve` writes them: timestamped, naming accounts by their email."""

import re
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_cli import cli_env, free_port, serving, wait_healthy

SENDER = "sender@example.com"
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """`coldsend serve` (with its engine) reading every inbox five times a second, stderr to a file."""
    port = free_port()
    env = {**cli_env(None, tmp_path), "COLDSEND_INBOX_POLL_SECONDS": "0.2"}
    log_path = tmp_path / "stderr.log"
    with log_path.open("w") as stderr, serving(port, env, stderr=stderr) as process:
        yield process, port, log_path


def add_account_with_unreachable_imap(port: int, key: str) -> None:
    nothing_listens = free_port()
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/v2/accounts",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "email": SENDER,
            "first_name": "Sam",
            "last_name": "Sender",
            "provider_code": 1,
            "smtp_host": "127.0.0.1",
            "smtp_port": nothing_listens,
            "smtp_username": SENDER,
            "smtp_password": "secret",
            "imap_host": "127.0.0.1",
            "imap_port": nothing_listens,
            "imap_username": SENDER,
            "imap_password": "secret",
            "imap_tls": "none",
        },
    )
    assert response.status_code == 200, response.text


def internal_account_id(data_dir: Path) -> str:
    """The account's row id, which the API never shows (accounts are known by their email)."""
    with sqlite3.connect(data_dir / "coldsend.db") as db:
        (raw,) = db.execute("SELECT id FROM account WHERE email = ?", (SENDER,)).fetchone()
    return str(uuid.UUID(str(raw)))


def wait_for_line(log_path: Path, pattern: str, deadline: float = 30.0) -> str:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for line in log_path.read_text().splitlines():
            if re.search(pattern, line):
                return line
        time.sleep(0.1)
    raise AssertionError(f"no line matching {pattern!r} in:\n{log_path.read_text()}")


class TestEngineLogLines:
    def test_login_failure_is_timestamped_and_names_the_account_email(
        self, served: tuple[subprocess.Popen[str], int, Path]
    ) -> None:
        process, port, log_path = served
        assert process.stdout is not None
        key = process.stdout.readline().strip()
        wait_healthy(port)
        add_account_with_unreachable_imap(port, key)
        line = wait_for_line(log_path, "cannot log in")
        assert re.fullmatch(
            rf"{TIMESTAMP} WARNING coldsend\.accounts\.login_check: "
            rf"account {re.escape(SENDER)} cannot log in .+",
            line,
        ), line
        assert internal_account_id(log_path.parent) not in log_path.read_text()

    def test_server_lines_are_timestamped_too(self, served: tuple[subprocess.Popen[str], int, Path]) -> None:
        _process, port, log_path = served
        wait_healthy(port)
        line = wait_for_line(log_path, "Application startup complete")
        assert re.match(rf"{TIMESTAMP} ", line), line
