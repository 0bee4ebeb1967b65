"""A verifying app: its settings point at the loopback DNS zone and MX server, its engine runs in-process."""

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from coldsend.api.app import create_app
from tests.conftest import make_settings
from tests.dns_server import DnsServer, serve_dns
from tests.verification.peers import MxBehaviour, add_domain, serve_mx
from tests.waiting import eventually

SYNC_WINDOW = 3.0
# Fast enough for tests, the same shape as production: retries, backoff, timeouts.
VERIFY_SETTINGS: dict[str, Any] = {
    "verify_ehlo_hostname": "probe.coldsend.test",
    "verify_mail_from": "probe@coldsend.test",
    "verify_smtp_timeout_seconds": 0.3,
    "verify_connect_timeout_seconds": 2.0,
    "verify_dns_timeout_seconds": 2.0,
    "verify_retry_delay_seconds": 0.05,
    "verify_max_attempts": 3,
    "verify_domain_rate_per_second": 1000.0,
    "verify_poll_interval": 0.05,
    "verify_webhook_retry_delay_seconds": 0.05,
    "webhook_allow_private": True,
    "verify_smtp_allow_private": True,  # the MX is on loopback
}
IDN_DOMAIN = "xn--bcher-kva.example"  # bücher.example


@dataclass
class MailWorld:
    dns: DnsServer
    mx: MxBehaviour
    port: int

    def settings(self) -> dict[str, Any]:
        return {"dns_nameservers": [self.dns.nameserver], "verify_smtp_port": self.port, **VERIFY_SETTINGS}


def populate(dns: DnsServer, mx: MxBehaviour) -> None:
    add_domain(dns, mx, "deliverable.example", "mailboxes", "alice", "info", "lead", "carol")
    add_domain(dns, mx, "catchall.example", "catch-all")
    add_domain(dns, mx, "greylist.example", "greylist", "grey", "grey2", "grey3")
    add_domain(dns, mx, "slowpoke.example", "hang")
    add_domain(dns, mx, "gated.example", "gate", "late0", "late2")
    add_domain(dns, mx, "mailinator.com", "mailboxes", "temp")
    add_domain(dns, mx, IDN_DOMAIN, "mailboxes", "anna")
    dns.add("fallback.example", "A", "127.0.0.1")
    mx.mailboxes.add("bob@fallback.example")
    dns.add("nullmx.example", "MX", "0 .")


@pytest.fixture(scope="module")
def mail_world(backend: str) -> Iterator[MailWorld]:  # noqa: ARG001
    # One world per backend, not per module only: the tests count what the peers saw, and a file run on its
    # own (or by one worker) has its SQLite and PostgreSQL tests side by side in one module scope.
    behaviour = MxBehaviour()
    with serve_dns() as dns, serve_mx(behaviour) as port:
        populate(dns, behaviour)
        yield MailWorld(dns, behaviour, port)


@pytest.fixture(scope="module")
async def verifying_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, mail_world: MailWorld
) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        tmp_path_factory.mktemp("verify-data"),
        verify_sync_window_seconds=SYNC_WINDOW,
        **mail_world.settings(),
    )
    application = create_app(settings, run_engine=True)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def impatient_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, mail_world: MailWorld
) -> AsyncIterator[FastAPI]:
    """Answers after 0.2 s, while its probes may take far longer than that without timing out, and its
    retries wait longer than that: they are left to the engine."""
    settings = make_settings(
        database_url,
        tmp_path_factory.mktemp("impatient-data"),
        **{
            **mail_world.settings(),
            "verify_sync_window_seconds": 0.2,
            "verify_smtp_timeout_seconds": 60.0,
            "verify_retry_delay_seconds": 0.5,
        },
    )
    application = create_app(settings, run_engine=True)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def metered_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, mail_world: MailWorld
) -> AsyncIterator[FastAPI]:
    """Allows each workspace two verifications."""
    settings = make_settings(
        database_url, tmp_path_factory.mktemp("metered-data"), verify_credits=2, **mail_world.settings()
    )
    application = create_app(settings, run_engine=False)
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class WebhookReceiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failures_left: int = 0  # answer 500 to this many requests first

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP server on loopback recording each POSTed JSON body."""
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            with receiver.lock:
                receiver.received.append(body)
                failing = receiver.failures_left > 0
                receiver.failures_left -= failing
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/verification"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def final_result(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    """GET the verification until it is no longer pending."""
    found: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal found
        response = await client.get(f"/api/v2/email-verification/{email}")
        assert response.status_code == 200, response.text
        found = response.json()
        return bool(found["verification_status"] != "pending")

    await eventually(done, f"the verification of {email}")
    return found
