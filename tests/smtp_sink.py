"""A real SMTP server on loopback (aiosmtpd) that records what it accepts and answers as told.

Fixtures (function scope; each starts its own server on a free port and stops it afterwards):

- `smtp_sink`: plain SMTP (no TLS), AUTH PLAIN/LOGIN allowed without TLS.
- `smtp_sink_starttls`: offers STARTTLS and accepts AUTH only after it.
- `smtp_sink_ssl`: implicit TLS (SMTPS).
- `make_smtp_sink(**kwargs)`: a factory for anything else (same arguments as `SmtpSink`).

`SmtpSink(users=None, tls="none", require_auth=None, authenticate=None, offer_auth=True)`:

- `users`: login → password dict checked by AUTH PLAIN and LOGIN (mutable: add or change users while it
  runs). Default `{"sender@example.com": "secret"}`. With `require_auth` (default: true when there are
  users) MAIL FROM before AUTH gets `530 5.7.0 Authentication required`.
- `offer_auth=False` (with `tls="none"`): no AUTH in the EHLO reply, as a relay that authorises by IP.
- `introspection_url`: also offer AUTH XOAUTH2, and let in a user whose bearer token that OAuth 2.0
  introspection endpoint calls active for that email (as Gmail and Exchange Online check theirs); a refused
  token gets the JSON error challenge, then `535`. The token is asked about again at each MAIL FROM: once
  it is no longer active the session gets `421` and is closed, as a provider ends a session whose token
  expired or was revoked. Pass `require_auth=True` with it (there are no password users then).
- `tls`: "none" | "starttls" | "ssl". TLS uses a certificate for `localhost` / `127.0.0.1` issued by
  `sink.ca` (a `trustme.CA`); `sink.client_context()` is an `ssl.SSLContext` that trusts it, and
  `sink.ca_pem` / `sink.ca_path` give the CA to clients that take a PEM string or file.
- `host`, `port`: where it listens (127.0.0.1, a port picked free before binding).
- `received`: list of `Received(login, mail_from, rcpt_tos, message, raw)` for every accepted message, in
  order; `message` is an `email.message.EmailMessage` parsed with the default policy, `raw` the bytes as
  the client sent them. `message_ids()` lists their Message-IDs.
- `rejected`: list of `Rejected(login, mail_from, address, stage, reply)` for every answer it gave that
  was not a 2xx (per recipient at RCPT, per message at DATA).
- Programmable answers:
  - `answer_rcpt(address, reply, times=None)`: answer RCPT TO `address` with `reply` (e.g.
    `"550 5.1.1 User unknown"`, `"451 4.7.1 Try again later"`) `times` times (None: always).
  - `answer_data(address, reply, times=None)`: answer the end of DATA of a message to `address`.
  - `fail_fraction(fraction, replies=("421 4.7.0 ...", "454 4.7.0 ..."), stage="data", seed=0)`: answer
    that fraction of transactions (chosen at random, seeded) with one of `replies` at "rcpt" or "data".
    A `421` reply also closes the connection, as a server shutting down does.
  - `clear_answers()`.
- `await sink.wait_for(count, timeout=...)`: wait until `len(received) >= count` (fails on timeout).
- `sink.start()` / `sink.stop()`, or use it as a context manager.

Runnable alone for the benchmark: `python -m tests.smtp_sink --port P [--users N]` accepts any
`userN@bench.test` / `secret` and prints the count of accepted messages on SIGTERM/SIGINT.
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import logging
import random
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

TlsMode = Literal["none", "starttls", "ssl"]
Stage = Literal["rcpt", "data"]

DEFAULT_USERS = {"sender@example.com": "secret"}
TEMPORARY_REPLIES = ("421 4.7.0 Service shutting down, try later", "454 4.7.0 Temporary failure, try later")


@dataclass(frozen=True)
class Received:
    login: str | None
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass(frozen=True)
class Rejected:
    login: str | None
    mail_from: str
    address: str
    stage: Stage
    reply: str


@dataclass
class _Answer:
    reply: str
    times: int | None


@dataclass
class _Fraction:
    fraction: float
    replies: tuple[str, ...]
    stage: Stage
    rng: random.Random


_UNPARSED = Received(None, "", [], EmailMessage(), b"")


# Ports handed to servers that tests start in other processes come from below the kernel's ephemeral range
# (ip_local_port_range, 32768-60999 by default). A port the kernel picks for bind(0) is ephemeral: between
# the probe closing it and the server binding it, any outgoing connection of the suite (to PostgreSQL, to a
# peer) may take it, and the server fails with "address already in use" (seen in CI).
_TEST_PORTS = range(20_000, 32_000)
_ports = random.Random()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, outside the ephemeral range."""
    for _ in range(1000):
        port = _ports.choice(_TEST_PORTS)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


@dataclass
class _State:
    users: dict[str, str]
    require_auth: bool
    received: list[Received] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rcpt_answers: dict[str, _Answer] = field(default_factory=dict)
    data_answers: dict[str, _Answer] = field(default_factory=dict)
    fraction: _Fraction | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_accept: Callable[[Received], None] | None = None
    parse: bool = True


def _take(answers: dict[str, _Answer], address: str) -> str | None:
    answer = answers.get(address.lower())
    if answer is None:
        return None
    if answer.times is not None:
        answer.times -= 1
        if answer.times <= 0:
            del answers[address.lower()]
    return answer.reply


class _Handler:
    def __init__(self, state: _State) -> None:
        self.state = state

    def _login(self, session: Session) -> str | None:
        return session.auth_data if isinstance(session.auth_data, str) else None

    async def handle_MAIL(
        self, _server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.state.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    def _reject(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, stage: Stage, reply: str
    ) -> str:
        self.state.rejected.append(
            Rejected(self._login(session), envelope.mail_from or "", address, stage, reply)
        )
        if reply.startswith("421"):
            transport = server.transport
            if transport is not None:
                server.loop.call_soon(transport.close)
        return reply

    def _fraction_reply(self, stage: Stage) -> str | None:
        fraction = self.state.fraction
        if fraction is None or fraction.stage != stage or fraction.rng.random() >= fraction.fraction:
            return None
        return fraction.rng.choice(fraction.replies)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.state.lock:
            reply = _take(self.state.rcpt_answers, address) or self._fraction_reply("rcpt")
            if reply is not None:
                return self._reject(server, session, envelope, address, "rcpt", reply)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.state.lock:
            for address in envelope.rcpt_tos:
                reply = _take(self.state.data_answers, address)
                if reply is not None:
                    return self._reject(server, session, envelope, address, "data", reply)
            reply = self._fraction_reply("data")
            if reply is not None:
                return self._reject(server, session, envelope, ",".join(envelope.rcpt_tos), "data", reply)
            raw = envelope.original_content or b""
            if not self.state.parse:
                self.state.received.append(_UNPARSED)
                return "250 2.0.0 OK queued"
            message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            received = Received(
                self._login(session), envelope.mail_from or "", list(envelope.rcpt_tos), message, raw
            )
            self.state.received.append(received)
            if self.state.on_accept is not None:
                self.state.on_accept(received)
        return "250 2.0.0 OK queued"


class _OAuthHandler(_Handler):
    """A sink that takes XOAUTH2: tokens checked at the OAuth server's introspection endpoint."""

    def __init__(self, state: _State, introspection_url: str) -> None:
        super().__init__(state)
        self.introspection_url = introspection_url
        self.tokens: weakref.WeakKeyDictionary[Session, str] = weakref.WeakKeyDictionary()

    async def _active_for(self, user: str, token: str) -> bool:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = (await client.post(self.introspection_url, data={"token": token})).json()
        return bool(answer.get("active")) and answer.get("email") == user

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        fields = dict(
            part.split("=", 1) for part in base64.b64decode(args[1]).decode().split("\x01") if "=" in part
        )
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        if await self._active_for(user, token):
            assert server.session is not None
            self.tokens[server.session] = token
            return AuthResult(success=True, auth_data=user)
        error = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        await server.challenge_auth(json.dumps(error))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        token = self.tokens.get(session)
        login = self._login(session)
        if token is not None and login is not None and not await self._active_for(login, token):
            if server.transport is not None:
                server.loop.call_soon(server.transport.close)
            return "421 4.7.0 Access token expired or revoked; reconnect"
        return await super().handle_MAIL(server, session, envelope, address, options)


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 in its own thread; see the module docstring."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        tls: TlsMode = "none",
        require_auth: bool | None = None,
        authenticate: Callable[[str, str], bool] | None = None,
        offer_auth: bool = True,
        introspection_url: str | None = None,
    ) -> None:
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.tls: TlsMode = tls
        self.host = "127.0.0.1"
        self.port = free_port()
        self.state = _State(
            users=self.users, require_auth=bool(self.users) if require_auth is None else require_auth
        )
        self._authenticate = authenticate
        self.offer_auth = offer_auth
        self.introspection_url = introspection_url
        self.ca = trustme.CA()
        self._server_cert = self.ca.issue_cert("localhost", "127.0.0.1")
        self._ca_dir = tempfile.TemporaryDirectory(prefix="smtp-sink-ca-")
        self.ca_path = Path(self._ca_dir.name) / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self.ca_pem = self.ca.cert_pem.bytes().decode()
        self._controller: Controller | None = None

    # --- answers -------------------------------------------------------------------------------------
    @property
    def received(self) -> list[Received]:
        return self.state.received

    @property
    def rejected(self) -> list[Rejected]:
        return self.state.rejected

    def message_ids(self) -> list[str]:
        with self.state.lock:
            return [str(item.message["Message-ID"]) for item in self.state.received]

    def answer_rcpt(self, address: str, reply: str, times: int | None = None) -> None:
        with self.state.lock:
            self.state.rcpt_answers[address.lower()] = _Answer(reply, times)

    def answer_data(self, address: str, reply: str, times: int | None = None) -> None:
        with self.state.lock:
            self.state.data_answers[address.lower()] = _Answer(reply, times)

    def fail_fraction(
        self,
        fraction: float,
        replies: tuple[str, ...] = TEMPORARY_REPLIES,
        stage: Stage = "data",
        seed: int = 0,
    ) -> None:
        with self.state.lock:
            self.state.fraction = _Fraction(fraction, replies, stage, random.Random(seed))

    def clear_answers(self) -> None:
        with self.state.lock:
            self.state.rcpt_answers.clear()
            self.state.data_answers.clear()
            self.state.fraction = None

    async def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.state.received) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"the SMTP sink got {len(self.state.received)} messages, expected {count}")
            await asyncio.sleep(0.01)

    # --- TLS -----------------------------------------------------------------------------------------
    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._server_cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    # --- lifecycle -----------------------------------------------------------------------------------
    def _authenticator(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if self._authenticate is not None:
            ok = self._authenticate(login, password)
        else:
            ok = self.users.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=login)

    def start(self) -> "SmtpSink":
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "authenticator": self._authenticator,
            # aiosmtpd lists AUTH unless it requires TLS and has none yet: a plain sink then never does.
            "auth_require_tls": self.tls == "starttls" or not self.offer_auth,
            "server_hostname": "localhost",
            "decode_data": False,
            "enable_SMTPUTF8": True,
        }
        if self.tls == "starttls":
            kwargs["tls_context"] = self.server_context()
        elif self.tls == "ssl":
            kwargs["ssl_context"] = self.server_context()
        handler = (
            _Handler(self.state)
            if self.introspection_url is None
            else _OAuthHandler(self.state, self.introspection_url)
        )
        self._controller = Controller(handler, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._ca_dir.cleanup()

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


MakeSmtpSink = Callable[..., SmtpSink]


@pytest.fixture
def make_smtp_sink() -> Iterator[MakeSmtpSink]:
    started: list[SmtpSink] = []

    def make(**kwargs: Any) -> SmtpSink:
        sink = SmtpSink(**kwargs).start()
        started.append(sink)
        return sink

    try:
        yield make
    finally:
        for sink in started:
            sink.stop()


@pytest.fixture
def smtp_sink(make_smtp_sink: MakeSmtpSink) -> SmtpSink:
    return make_smtp_sink()


@pytest.fixture
def smtp_sink_starttls(make_smtp_sink: MakeSmtpSink) -> SmtpSink:
    return make_smtp_sink(tls="starttls")


@pytest.fixture
def smtp_sink_ssl(make_smtp_sink: MakeSmtpSink) -> SmtpSink:
    return make_smtp_sink(tls="ssl")


async def _serve_forever(port: int) -> None:
    # aiosmtpd logs a deprecation warning of its own at every AUTH; the benchmark's terminal needs none.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    sink = SmtpSink(users={}, require_auth=True, authenticate=lambda _login, password: password == "secret")
    sink.port = port
    sink.state.received = _CountingList()
    sink.state.parse = False
    sink.start()
    sys.stdout.write(f"listening on 127.0.0.1:{port}\n")
    sys.stdout.flush()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    sink.stop()
    sys.stdout.write(f"accepted {len(sink.state.received)}\n")
    sys.stdout.flush()


class _CountingList(list[Received]):
    """For the benchmark: keeps the count and drops the messages, so the sink's memory stays flat."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted = 0

    def append(self, _item: Received) -> None:
        self.accepted += 1

    def __len__(self) -> int:
        return self.accepted


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the SMTP sink alone (for bench/send.py).")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port))


if __name__ == "__main__":
    main()


__all__ = [
    "MakeSmtpSink",
    "Received",
    "Rejected",
    "SmtpSink",
    "free_port",
    "make_smtp_sink",
    "smtp_sink",
    "smtp_sink_ssl",
    "smtp_sink_starttls",
]
