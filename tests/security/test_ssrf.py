"""SSRF through checks: what a user names (a tracking domain, an MX record, a mail server, a webhook host)
must not turn the server into a prober of its own network, a banner grabber, or a rebinding target."""

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.api.app import create_app
from coldsend.models import EmailVerification
from tests.conftest import MakeTenant, OverrideSettings, Tenant, client_for, make_settings
from tests.dns_server import DnsServer, serve_dns
from tests.factories import ACCOUNTS, account_body
from tests.verification.conftest import VERIFY_SETTINGS
from tests.verification.peers import MxBehaviour, add_domain, serve_mx
from tests.waiting import eventually

PUBLIC_HOST = "track.ssrf.test"
HTTPS_PORT = 443
SMTP_BANNER = b"554 5.7.1 internal-relay.corp SECRET-SMTP-BANNER\r\n"
IMAP_BANNER = b"* BYE internal-imap.corp SECRET-IMAP-BANNER\r\n"


@pytest.fixture(scope="module")
def dns(backend: str) -> Iterator[DnsServer]:  # noqa: ARG001
    # Per backend too: the tests add records as they go, and a file run alone (or by one worker) has its
    # SQLite and PostgreSQL tests side by side in one module scope.
    with serve_dns() as server:
        yield server


@dataclass
class Listener:
    """A loopback TCP server that records who connected, optionally greets with `banner`, then hangs up."""

    host: str
    port: int = 0
    banner: bytes = b""
    connections: list[str] = field(default_factory=list)


@pytest.fixture
async def listen() -> AsyncIterator[Any]:
    servers: list[asyncio.Server] = []

    async def start(host: str = "127.0.0.1", port: int = 0, banner: bytes = b"") -> Listener:
        listener = Listener(host=host, banner=banner)

        async def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            listener.connections.append(str(writer.get_extra_info("peername")))
            if listener.banner:
                writer.write(listener.banner)
                await writer.drain()
                await asyncio.sleep(0.2)
            writer.close()

        server = await asyncio.start_server(accepted, host, port)
        servers.append(server)
        listener.port = server.sockets[0].getsockname()[1]
        return listener

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def spare_loopback_address() -> str:
    """An address in 127/8 of this test alone, so port 443 there is free whatever else runs."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


class TestTrackingDomain:
    async def test_cname_to_loopback_is_not_connected_to(
        self, tenant: Tenant, dns: DnsServer, override_settings: OverrideSettings, listen: Any
    ) -> None:
        address = spare_loopback_address()
        listener: Listener = await listen(address, HTTPS_PORT)
        dns.add("click.victim.test", "CNAME", f"{PUBLIC_HOST}.")
        dns.add(PUBLIC_HOST, "A", address)
        override_settings(
            dns_nameservers=[dns.nameserver],
            public_url=f"https://{PUBLIC_HOST}",
            tracking_domain_allow_private=False,
        )
        response = await tenant.client.get(f"{ACCOUNTS}/ctd/status", params={"host": "click.victim.test"})
        assert response.status_code == 200
        assert response.json() == {"success": True, "ssl": False, "cname": True, "host": "click.victim.test"}
        assert listener.connections == []

        # The same check where private addresses are allowed does reach the listener.
        override_settings(tracking_domain_allow_private=True)
        await tenant.client.get(f"{ACCOUNTS}/ctd/status", params={"host": "click.victim.test"})
        assert len(listener.connections) == 1


@dataclass
class RecordingMx(MxBehaviour):
    """The verification tests' MX server, also recording every EHLO: each probe session starts with one."""

    greeted: list[str] = field(default_factory=list)

    async def handle_EHLO(  # noqa: N802 (aiosmtpd's hook name)
        self, _server: SMTP, session: Session, _envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self.greeted.append(hostname)
        return responses


@pytest.fixture(scope="module")
def mx_sink(dns: DnsServer) -> Iterator[tuple[RecordingMx, int]]:
    behaviour = RecordingMx()
    with serve_mx(behaviour) as port:
        add_domain(dns, behaviour, "lan.example", "mailboxes", "alice")
        yield behaviour, port


@pytest.fixture(scope="module")
async def guarded_app(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    dns: DnsServer,
    mx_sink: tuple[RecordingMx, int],
) -> AsyncIterator[FastAPI]:
    """A verifying app on the loopback DNS and MX, with the default: no probes to private addresses."""
    settings = make_settings(
        database_url,
        tmp_path_factory.mktemp("ssrf-data"),
        dns_nameservers=[dns.nameserver],
        verify_smtp_port=mx_sink[1],
        **{**VERIFY_SETTINGS, "verify_smtp_allow_private": False, "webhook_allow_private": False},
    )
    application = create_app(settings, run_engine=False)
    async with application.router.lifespan_context(application):
        yield application


class TestVerificationProbe:
    async def test_mx_on_loopback_is_not_probed(
        self, guarded_app: FastAPI, make_tenant: MakeTenant, mx_sink: tuple[RecordingMx, int]
    ) -> None:
        behaviour, _port = mx_sink
        tenant = await make_tenant()
        async with client_for(guarded_app, tenant.key) as client:
            response = await client.post("/api/v2/email-verification", json={"email": "alice@lan.example"})
        assert response.status_code == 200, response.text
        # Unknown, not a verdict: Instantly's shape says so with status "error".
        assert response.json()["status"] == "error"
        assert response.json()["verification_status"] == "invalid"
        assert behaviour.greeted == []
        assert behaviour.seen == []
        async with guarded_app.state.sessionmaker() as session:
            row = await session.scalar(
                select(EmailVerification).where(
                    EmailVerification.workspace_id == tenant.workspace_id,
                    EmailVerification.email == "alice@lan.example",
                )
            )
        assert row is not None
        assert (row.reachability, row.reason) == ("unknown", "mx_not_public")
        assert row.details["mx_host"] == "mx.lan.example"


class TestVitals:
    async def test_banner_is_never_echoed(
        self,
        tenant: Tenant,
        dns: DnsServer,
        override_settings: OverrideSettings,
        listen: Any,
    ) -> None:
        smtp: Listener = await listen(banner=SMTP_BANNER)
        imap: Listener = await listen(banner=IMAP_BANNER)
        override_settings(dns_nameservers=[dns.nameserver], smtp_timeout_seconds=2, imap_timeout_seconds=2)
        body = account_body(
            "probe@banner.test", smtp_port=smtp.port, smtp_tls="none", imap_port=imap.port, imap_tls="none"
        )
        assert (await tenant.client.post(ACCOUNTS, json=body)).status_code == 200
        response = await tenant.client.post(
            f"{ACCOUNTS}/test/vitals", json={"accounts": ["probe@banner.test"]}
        )
        assert response.status_code == 200, response.text
        [item] = response.json()["failure_list"]
        assert (item["smtp"], item["imap"]) == (False, False)
        assert smtp.connections  # reached: what it said is what must not come back
        assert imap.connections
        assert "SECRET" not in response.text
        assert "corp" not in response.text
        assert item["messages"]["smtp"].startswith(f"SMTP unreachable (127.0.0.1:{smtp.port})")
        assert item["messages"]["imap"].startswith(f"IMAP unreachable (127.0.0.1:{imap.port})")


@dataclass
class HookServer:
    """An HTTP server on one loopback address recording each POST's Host header."""

    host: str
    port: int
    hosts: list[str] = field(default_factory=list)


@pytest.fixture
def hook_servers() -> Iterator[tuple[HookServer, HookServer]]:
    """The webhook receiver on 127.0.0.1, and the place a rebinding DNS answer points to, 127.0.0.2, on
    the same port."""
    started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def serve(host: str, port: int) -> HookServer:
        hook = HookServer(host, port)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
                self.rfile.read(int(self.headers.get("content-length", "0")))
                hook.hosts.append(self.headers.get("host", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        hook.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return hook

    for _ in range(20):
        checked = serve("127.0.0.1", 0)
        try:
            rebound = serve("127.0.0.2", checked.port)
            break
        except OSError:
            continue
    else:
        raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")
    try:
        yield checked, rebound
    finally:
        for server, thread in started:
            server.shutdown()
            server.server_close()
            thread.join()


@pytest.fixture(scope="module")
def gated_mx(dns: DnsServer) -> Iterator[tuple[MxBehaviour, int]]:
    behaviour = MxBehaviour()
    with serve_mx(behaviour) as port:
        add_domain(dns, behaviour, "gated.example", "gate", "late")
        yield behaviour, port


@pytest.fixture(scope="module")
async def webhook_app(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    dns: DnsServer,
    gated_mx: tuple[MxBehaviour, int],
) -> AsyncIterator[FastAPI]:
    """Answers pending after 0.2 s and delivers webhooks from its engine; loopback targets allowed, since
    the only addresses a test may send to are loopback ones."""
    settings = make_settings(
        database_url,
        tmp_path_factory.mktemp("ssrf-webhook-data"),
        dns_nameservers=[dns.nameserver],
        verify_smtp_port=gated_mx[1],
        **{**VERIFY_SETTINGS, "verify_sync_window_seconds": 0.2, "verify_smtp_timeout_seconds": 60.0},
    )
    application = create_app(settings, run_engine=True)
    async with application.router.lifespan_context(application):
        yield application


class TestWebhook:
    async def test_delivered_to_the_address_resolved_once(
        self,
        webhook_app: FastAPI,
        make_tenant: MakeTenant,
        dns: DnsServer,
        gated_mx: tuple[MxBehaviour, int],
        hook_servers: tuple[HookServer, HookServer],
    ) -> None:
        checked, rebound = hook_servers
        dns.add("hooks.rebind.test", "A", checked.host)
        dns.answer_later("hooks.rebind.test", "A", rebound.host)
        behaviour, _port = gated_mx
        behaviour.gate.clear()
        tenant = await make_tenant()
        url = f"http://hooks.rebind.test:{checked.port}/verified"
        async with client_for(webhook_app, tenant.key) as client:
            response = await client.post(
                "/api/v2/email-verification", json={"email": "late@gated.example", "webhook_url": url}
            )
            assert response.status_code == 200, response.text
            assert response.json()["verification_status"] == "pending"
            behaviour.gate.set()

            async def delivered() -> bool:
                async with webhook_app.state.sessionmaker() as session:
                    row = await session.scalar(
                        select(EmailVerification).where(
                            EmailVerification.workspace_id == tenant.workspace_id,
                            EmailVerification.email == "late@gated.example",
                        )
                    )
                return row is not None and row.webhook_status in ("delivered", "failed")

            await eventually(delivered, "the webhook delivery")
        assert checked.hosts == [f"hooks.rebind.test:{checked.port}"]
        assert rebound.hosts == []
        assert dns.records.queries.count(("hooks.rebind.test", "A")) == 1
