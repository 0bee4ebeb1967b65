"""`coldsend verify` as an operator runs it: a real process, settings from the environment."""

import csv
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dnslib import QTYPE, DNSRecord

from tests.verification.conftest import IDN_DOMAIN, VERIFY_SETTINGS, MailWorld
from tests.verification.peers import free_port, setting_env
from tests.verification.socks_proxy import serve_socks5

HEADER = "email,verification_status,result,reason,catch_all,disposable,role,mx_host,smtp_code,smtp_message"
OK = "250,2.1.5 Recipient OK"
UNKNOWN_USER = "mx.deliverable.example,550,5.1.1 Recipient address rejected: User unknown"
ROWS = {
    "alice@deliverable.example": f"verified,safe,deliverable,false,false,false,mx.deliverable.example,{OK}",
    "nobody@deliverable.example": f"invalid,invalid,mailbox_not_found,false,false,false,{UNKNOWN_USER}",
    "someone@catchall.example": f"verified,risky,catch_all,true,false,false,mx.catchall.example,{OK}",
    "grey@greylist.example": f"verified,safe,deliverable,false,false,false,mx.greylist.example,{OK}",
    "bob@fallback.example": f"verified,safe,deliverable,false,false,false,fallback.example,{OK}",
    "x@nullmx.example": "invalid,invalid,null_mx,false,false,false,,,",
    "x@nowhere.example": "invalid,invalid,no_such_domain,false,false,false,,,",
    "x@slowpoke.example": "invalid,unknown,smtp_timeout,,false,false,mx.slowpoke.example,,",
    "temp@mailinator.com": f"verified,risky,disposable,false,true,false,mx.mailinator.com,{OK}",
    "info@deliverable.example": f"verified,risky,role,false,false,true,mx.deliverable.example,{OK}",
    f"anna@{IDN_DOMAIN}": f"verified,safe,deliverable,false,false,false,mx.{IDN_DOMAIN},{OK}",
}


def verify_env(world: MailWorld, **overrides: object) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("COLDSEND_")}
    env.update(setting_env(VERIFY_SETTINGS))
    # The comma-separated form, as an operator writes it (the second server is never needed).
    env["COLDSEND_DNS_NAMESERVERS"] = f"{world.dns.nameserver},127.0.0.1:{free_port()}"
    env["COLDSEND_VERIFY_SMTP_PORT"] = str(world.port)
    env["COLUMNS"] = "200"
    env.update(setting_env(overrides))
    return env


def run_verify(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coldsend", "verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def silent_nameserver() -> Iterator[tuple[int, list[bytes]]]:
    """A UDP port on loopback that takes DNS queries and never answers them: (port, queries seen)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    queries: list[bytes] = []
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                queries.append(sock.recv(4096))
            except TimeoutError:
                continue

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], queries
    finally:
        stop.set()
        thread.join()
        sock.close()


def summary_line(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    header = next(
        i for i, line in enumerate(lines) if "valid" in line and "unknown" in line and "│" not in line
    )
    names = [cell.strip() for cell in lines[header].strip("┃ ").split("┃")]
    values = [cell.strip() for cell in lines[header + 2].strip("│ ").split("│")]
    return [f"{name}={value}" for name, value in zip(names, values, strict=True)]


class TestVerifyCommand:
    def test_every_case_row_and_summary(self, mail_world: MailWorld, tmp_path: Path) -> None:
        inputs = [*ROWS][:-1] + ["Anna@Bücher.example"]
        source = tmp_path / "leads.csv"
        source.write_text("first_name,email\n" + "".join(f"X,{address}\n" for address in inputs[:5]))
        out = tmp_path / "results.csv"
        done = run_verify(
            [str(source), *inputs[5:], "--out", str(out), "--concurrency", "4"], verify_env(mail_world)
        )
        assert done.returncode == 0, done.stderr
        lines = out.read_text().splitlines()
        assert lines == [HEADER, *(f"{email},{row}" for email, row in ROWS.items())]
        assert summary_line(done.stdout) == [
            "valid=4", "invalid=3", "catch-all=1", "disposable=1", "role=1", "unknown=1"
        ]  # fmt: skip
        for email in ROWS:
            assert email in done.stdout
        assert mail_world.mx.data_commands == 0

    def test_blocked_port_is_an_honest_unknown(self, mail_world: MailWorld, tmp_path: Path) -> None:
        out = tmp_path / "results.csv"
        env = verify_env(mail_world, verify_smtp_port=free_port(), verify_max_attempts=1)
        addresses = [
            "alice@deliverable.example",
            "a@catchall.example",
            "temp@mailinator.com",
            "bob@fallback.example",
        ]
        done = run_verify([*addresses, "--out", str(out), "--concurrency", "1"], env)
        assert done.returncode == 0, done.stderr
        reasons = [(row["result"], row["reason"]) for row in csv.DictReader(out.open())]
        assert reasons == [
            ("unknown", "smtp_unreachable"),
            ("unknown", "smtp_unreachable"),
            ("unknown", "port_blocked"),
            ("unknown", "port_blocked"),
        ]
        assert "looks blocked" in " ".join(done.stderr.split())
        assert "COLDSEND_VERIFY_SMTP_PROXY" in done.stderr

    def test_probes_through_a_socks5_proxy(self, mail_world: MailWorld, tmp_path: Path) -> None:
        out = tmp_path / "results.csv"
        with serve_socks5() as proxy:
            env = verify_env(mail_world, verify_smtp_proxy=f"127.0.0.1:{proxy.port}")
            done = run_verify(["carol@deliverable.example", "--out", str(out)], env)
        assert done.returncode == 0, done.stderr
        [row] = csv.DictReader(out.open())
        assert (row["result"], row["reason"]) == ("safe", "deliverable")
        assert proxy.connects == [("127.0.0.1", mail_world.port)]

    def test_dns_timeout_is_retried_then_unknown(self, mail_world: MailWorld, tmp_path: Path) -> None:
        out = tmp_path / "results.csv"
        with silent_nameserver() as (port, queries):
            env = verify_env(mail_world, verify_dns_timeout_seconds=0.3, verify_max_attempts=2)
            env["COLDSEND_DNS_NAMESERVERS"] = f"127.0.0.1:{port}"
            done = run_verify(["alice@deliverable.example", "--out", str(out)], env)
        assert done.returncode == 0, done.stderr
        [row] = csv.DictReader(out.open())
        assert (row["verification_status"], row["result"], row["reason"]) == (
            "invalid",
            "unknown",
            "dns_timeout",
        )
        asked = {
            (str(DNSRecord.parse(query).q.qname), QTYPE[DNSRecord.parse(query).q.qtype]) for query in queries
        }
        assert asked == {("deliverable.example.", "MX")}
        assert len(queries) >= 2  # one per attempt at least

    def test_user_file_extends_the_disposable_list(self, mail_world: MailWorld, tmp_path: Path) -> None:
        extra = tmp_path / "disposable.txt"
        extra.write_text("# our own list\ndeliverable.example\n")
        out = tmp_path / "results.csv"
        env = verify_env(mail_world, verify_disposable_domains_file=extra)
        done = run_verify(["carol@deliverable.example", "--out", str(out)], env)
        assert done.returncode == 0, done.stderr
        [row] = csv.DictReader(out.open())
        assert (row["verification_status"], row["result"], row["reason"], row["disposable"]) == (
            "verified",
            "risky",
            "disposable",
            "true",
        )

    def test_no_addresses(self, mail_world: MailWorld, tmp_path: Path) -> None:
        empty = tmp_path / "empty.csv"
        empty.write_text("email\n")
        done = run_verify([str(empty)], verify_env(mail_world))
        assert done.returncode == 2
        assert "No addresses to verify" in done.stderr
