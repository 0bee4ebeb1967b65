"""The verifier's protocol peers on loopback: a DNS zone of test domains and one MX server behind them all.

The MX server offers STARTTLS (a trustme certificate) and answers RCPT by the recipient's domain, so one
port serves every behaviour: a normal mailbox server, a catch-all, greylisting (451 once, then the real
answer), one that never answers RCPT, and one that answers only when the test opens its gate.
"""

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.dns_server import DnsServer

ACCEPTED = "250 2.1.5 Recipient OK"
UNKNOWN_USER = "550 5.1.1 Recipient address rejected: User unknown"
GREYLISTED = "451 4.7.1 Greylisted, please try again later"
GATE_SECONDS = 60


@dataclass(frozen=True)
class Rcpt:
    """One RCPT TO as the server saw it."""

    address: str
    mail_from: str
    ehlo: str
    tls: bool
    reply: str


@dataclass
class MxBehaviour:
    """domain -> "mailboxes" (only `mailboxes` exist), "catch-all", "greylist", "hang" or "gate"."""

    kinds: dict[str, str] = field(default_factory=dict)
    mailboxes: set[str] = field(default_factory=set)
    greylisted: set[str] = field(default_factory=set)
    seen: list[Rcpt] = field(default_factory=list)
    data_commands: int = 0
    gate: threading.Event = field(default_factory=threading.Event)

    def _answer(self, address: str, kind: str) -> str:
        if kind == "catch-all":
            return ACCEPTED
        if kind == "greylist" and address not in self.greylisted:
            self.greylisted.add(address)
            return GREYLISTED
        return ACCEPTED if address in self.mailboxes else UNKNOWN_USER

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, _server: SMTP, session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        address = address.lower()
        kind = self.kinds.get(address.rpartition("@")[2], "mailboxes")
        if kind == "hang":
            await asyncio.sleep(3600)
        if kind == "gate":
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, GATE_SECONDS)
        reply = self._answer(address, kind)
        self.seen.append(
            Rcpt(address, envelope.mail_from or "", session.host_name or "", session.ssl is not None, reply)
        )
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, _server: SMTP, _session: Session, _envelope: Envelope) -> str:  # noqa: N802
        self.data_commands += 1
        return "554 5.5.1 No DATA expected"

    def rcpts_to(self, address: str) -> list[Rcpt]:
        return [rcpt for rcpt in self.seen if rcpt.address == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tls_context() -> ssl.SSLContext:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@contextmanager
def serve_mx(behaviour: MxBehaviour) -> Iterator[int]:
    """Start the MX server on a free loopback port; yields the port."""
    port = free_port()
    controller = Controller(
        behaviour, hostname="127.0.0.1", port=port, tls_context=_tls_context(), ready_timeout=10
    )
    controller.start()
    try:
        yield port
    finally:
        behaviour.gate.set()
        controller.stop()


def add_domain(dns: DnsServer, behaviour: MxBehaviour, domain: str, kind: str, *mailboxes: str) -> None:
    """An MX record for `domain` pointing at a host of its own, which resolves to 127.0.0.1."""
    host = f"mx.{domain}"
    dns.add(domain, "MX", f"10 {host}.")
    dns.add(host, "A", "127.0.0.1")
    behaviour.kinds[domain] = kind
    behaviour.mailboxes.update(f"{local}@{domain}" for local in mailboxes)


def setting_env(values: dict[str, Any]) -> dict[str, str]:
    return {f"COLDSEND_{name.upper()}": str(value) for name, value in values.items()}
