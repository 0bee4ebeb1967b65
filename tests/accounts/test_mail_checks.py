"""Checks against real peers on loopback: Dovecot (IMAP), the aiosmtpd sink (SMTP), a dnslib server."""

import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.db.session import session_scope
from coldsend.models import Account
from coldsend.workspaces import service as workspace_service
from tests.conftest import MakeTenant, Tenant, client_for, create_pg_database, drop_pg_database, make_settings
from tests.dns_server import DnsServer, serve_dns
from tests.factories import ACCOUNTS, account_body, reachable
from tests.imap_server import Dovecot, MakeDovecot
from tests.smtp_sink import MakeSmtpSink
from tests.waiting import eventually

PUBLIC_HOST = "track.coldsend.test"
IMAP_PASSWORD = "imap-secret"
SMTP_PASSWORD = "smtp-secret"
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def dns_server(backend: str) -> Iterator[DnsServer]:  # noqa: ARG001
    # Per backend too: the tests add records as they go, and a file run alone (or by one worker) has its
    # SQLite and PostgreSQL tests side by side in one module scope.
    with serve_dns() as server:
        yield server


def mail_settings(
    database_url: str, data_dir: Path, dns_server: DnsServer, dovecot: Dovecot, **extra: Any
) -> Any:
    return make_settings(
        database_url,
        data_dir,
        dns_nameservers=[dns_server.nameserver],
        imap_ca_file=dovecot.ca_path,
        imap_timeout_seconds=5,
        smtp_timeout_seconds=5,
        public_url=f"https://{PUBLIC_HOST}",
        **extra,
    )


@pytest.fixture(scope="module")
async def mail_app(
    database_url: str, dns_server: DnsServer, dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """The app resolving DNS through the loopback server and trusting Dovecot's CA."""
    settings = mail_settings(database_url, tmp_path_factory.mktemp("mail-data"), dns_server, dovecot)
    application = create_app(settings, run_engine=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def mail_tenant(mail_app: FastAPI, make_tenant: MakeTenant) -> AsyncIterator[Tenant]:
    tenant = await make_tenant()
    async with client_for(mail_app, tenant.key) as client:
        yield Tenant(workspace_id=tenant.workspace_id, key=tenant.key, client=client)


def publish_domain(dns_server: DnsServer, domain: str) -> None:
    dns_server.add(domain, "MX", f"10 mx.{domain}.")
    dns_server.add(domain, "TXT", "v=spf1 ip4:127.0.0.1 -all")
    dns_server.add(
        f"default._domainkey.{domain}", "TXT", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"
    )
    dns_server.add(f"_dmarc.{domain}", "TXT", "v=DMARC1; p=none")


def closed_port() -> tuple[socket.socket, int]:
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    return holder, int(holder.getsockname()[1])


async def vitals(tenant: Tenant, *emails: str) -> dict[str, Any]:
    response = await tenant.client.post(f"{ACCOUNTS}/test/vitals", json={"accounts": list(emails)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestVitals:
    async def test_everything_passes(
        self, mail_tenant: Tenant, dns_server: DnsServer, dovecot: Dovecot, make_smtp_sink: MakeSmtpSink
    ) -> None:
        publish_domain(dns_server, "good.test")
        dovecot.add_user("ok@good.test", IMAP_PASSWORD)
        sink = make_smtp_sink(users={"ok@good.test": SMTP_PASSWORD})
        body = account_body(
            "ok@good.test",
            smtp_port=sink.port,
            smtp_password=SMTP_PASSWORD,
            smtp_tls="cleartext",  # a plain sink: AUTH in the clear
            imap_port=dovecot.port,  # plain port offering STARTTLS: upgraded, verified with Dovecot's CA
            imap_password=IMAP_PASSWORD,
        )
        assert (await mail_tenant.client.post(ACCOUNTS, json=body)).status_code == 200
        result = await vitals(mail_tenant, "OK@good.test")
        assert result == {
            "status": "success",
            "success_list": [
                {
                    "domain": "good.test",
                    "email": "ok@good.test",
                    "allPass": True,
                    "mx": True,
                    "spf": True,
                    "dkim": True,
                    "dmarc": True,
                    "smtp": True,
                    "imap": True,
                    "messages": {},
                }
            ],
            "failure_list": [],
        }

    async def test_each_failure_is_reported(
        self, mail_tenant: Tenant, dns_server: DnsServer, dovecot: Dovecot, make_smtp_sink: MakeSmtpSink
    ) -> None:
        dns_server.add("half.test", "MX", "10 mx.half.test.")
        dovecot.add_user("who@half.test", IMAP_PASSWORD)
        sink = make_smtp_sink(users={"who@half.test": SMTP_PASSWORD})
        wrong = account_body(
            "who@half.test",
            smtp_port=sink.port,
            smtp_password="wrong",
            smtp_tls="cleartext",
            imap_port=dovecot.port,
            imap_password="wrong",
        )
        assert (await mail_tenant.client.post(ACCOUNTS, json=wrong)).status_code == 200
        holder, port = closed_port()
        with holder:
            down = account_body("down@half.test", smtp_port=port, imap_port=port)
            assert (await mail_tenant.client.post(ACCOUNTS, json=down)).status_code == 200
            result = await vitals(mail_tenant, "who@half.test", "down@half.test")
        assert result["success_list"] == []
        refused, unreachable = result["failure_list"]
        checks = ("mx", "spf", "dkim", "dmarc", "smtp", "imap")
        assert [refused[name] for name in checks] == [True, False, False, False, False, False]
        assert refused["allPass"] is False
        assert set(refused["messages"]) == {"spf", "dkim", "dmarc", "smtp", "imap"}
        # Outcomes only: what the server said is never echoed (vitals must not grab banners).
        assert refused["messages"]["smtp"] == f"SMTP login refused (127.0.0.1:{sink.port})"
        assert refused["messages"]["imap"] == f"IMAP login refused (127.0.0.1:{dovecot.port})"
        assert unreachable["messages"]["smtp"] == f"SMTP unreachable (127.0.0.1:{port}): connection refused"
        assert unreachable["messages"]["imap"] == f"IMAP unreachable (127.0.0.1:{port}): connection refused"
        assert "wrong" not in str(result)

    async def test_implicit_tls_imap(
        self, mail_tenant: Tenant, dovecot: Dovecot, make_smtp_sink: MakeSmtpSink
    ) -> None:
        dovecot.add_user("tls@tls.test", IMAP_PASSWORD)
        sink = make_smtp_sink(users={"tls@tls.test": SMTP_PASSWORD})
        body = account_body(
            "tls@tls.test",
            smtp_port=sink.port,
            smtp_password=SMTP_PASSWORD,
            smtp_tls="cleartext",  # a plain sink: AUTH in the clear
            imap_port=dovecot.ssl_port,
            imap_password=IMAP_PASSWORD,
            imap_tls="ssl",
        )
        assert (await mail_tenant.client.post(ACCOUNTS, json=body)).status_code == 200
        [item] = (await vitals(mail_tenant, "tls@tls.test"))["failure_list"]
        assert (item["smtp"], item["imap"]) == (True, True), item["messages"]
        assert item["mx"] is False

    async def test_bad_requests(self, mail_tenant: Tenant, make_tenant: MakeTenant) -> None:
        bodies: list[dict[str, Any]] = [{}, {"accounts": []}]
        for body in bodies:
            response = await mail_tenant.client.post(f"{ACCOUNTS}/test/vitals", json=body)
            assert response.status_code == 400
            assert response.json()["message"] == "Bad request - no emails sent"
        other = await make_tenant()
        assert (await other.client.post(ACCOUNTS, json=account_body("theirs@example.com"))).status_code == 200
        response = await mail_tenant.client.post(
            f"{ACCOUNTS}/test/vitals", json={"accounts": ["theirs@example.com"]}
        )
        assert response.status_code == 404
        response = await mail_tenant.client.post(f"{ACCOUNTS}/test/vitals", json={"accounts": ["nope"]})
        assert response.status_code == 400


class TestTrackingDomain:
    async def test_cname_checked_in_dns(self, mail_tenant: Tenant, dns_server: DnsServer) -> None:
        dns_server.add("click.customer.test", "CNAME", f"{PUBLIC_HOST}.")
        dns_server.add("wrong.customer.test", "CNAME", "elsewhere.test.")
        response = await mail_tenant.client.get(
            f"{ACCOUNTS}/ctd/status", params={"host": "Click.Customer.test"}
        )
        assert response.status_code == 200
        # Nothing serves HTTPS for it on loopback, so there is no TLS.
        assert response.json() == {
            "success": True,
            "ssl": False,
            "cname": True,
            "host": "click.customer.test",
        }
        for host in ("wrong.customer.test", "missing.customer.test"):
            found = (await mail_tenant.client.get(f"{ACCOUNTS}/ctd/status", params={"host": host})).json()
            assert found == {"success": False, "ssl": False, "cname": False, "host": host}

    async def test_bad_host(self, mail_tenant: Tenant) -> None:
        response = await mail_tenant.client.get(f"{ACCOUNTS}/ctd/status", params={"host": "not a host"})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "querystring/host must be a host name",
            "status": "error",
            "host": "not a host",
        }
        missing = await mail_tenant.client.get(f"{ACCOUNTS}/ctd/status")
        assert missing.status_code == 400

    async def test_account_tracking_domain_needs_the_cname(
        self, mail_tenant: Tenant, dns_server: DnsServer
    ) -> None:
        refused = await mail_tenant.client.post(
            ACCOUNTS, json=account_body("ctd@ctd.test", tracking_domain_name="links.ctd.test")
        )
        assert refused.status_code == 400
        assert "no CNAME record pointing to track.coldsend.test" in refused.json()["message"]
        dns_server.add("links.ctd.test", "CNAME", f"{PUBLIC_HOST}.")
        created = await mail_tenant.client.post(
            ACCOUNTS, json=account_body("ctd@ctd.test", tracking_domain_name="links.ctd.test")
        )
        assert created.status_code == 200
        assert created.json()["tracking_domain_name"] == "links.ctd.test"
        patched = await mail_tenant.client.patch(
            f"{ACCOUNTS}/ctd%40ctd.test", json={"tracking_domain_name": "other.ctd.test"}
        )
        assert patched.status_code == 400


@pytest.fixture
async def engine_app(
    backend: str, dns_server: DnsServer, dovecot: Dovecot, tmp_path: Path
) -> AsyncIterator[FastAPI]:
    """The app with its engine running (health checks every 0.2 s), on a database of its own so the
    loop sees only this test's accounts."""
    name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'health.db'}"
    else:
        url, name = await create_pg_database()
    settings = mail_settings(url, tmp_path / "data", dns_server, dovecot, account_health_interval_seconds=0.2)
    application = create_app(settings, run_engine=True)
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        if name is not None:
            await drop_pg_database(name)


async def tenant_of(app: FastAPI) -> Tenant:
    async with session_scope(app.state.sessionmaker) as session:
        workspace = await workspace_service.create(session, name="Health")
        _key, secret = await api_key_service.create(
            session, workspace_id=workspace.id, name="k", scopes=["all:all"]
        )
    return Tenant(workspace_id=workspace.id, key=secret, client=client_for(app, secret))


async def stored(app: FastAPI, email: str) -> Account:
    async with app.state.sessionmaker() as session:
        account: Account | None = await session.scalar(select(Account).where(Account.email == email))
    assert account is not None
    return account


async def wait_until(app: FastAPI, email: str, condition: Any, what: str) -> Account:
    async def holds() -> bool:
        return bool(condition(await stored(app, email)))

    await eventually(holds, what, timeout=WAIT_SECONDS)
    return await stored(app, email)


async def after_a_check(app: FastAPI, email: str, what: str, since: datetime | None = None) -> Account:
    """The account once a health check claimed after `since` has finished. The loop stamps
    health_checked_at when it claims a check, before the login is tried, so a new stamp alone says
    nothing of the outcome: it is written before the next claim, and an account in error is not
    claimed again, so the outcome is there once the stamp moves on again or the status is -1."""
    claimed = await wait_until(
        app,
        email,
        lambda a: a.health_checked_at is not None and (since is None or a.health_checked_at > since),
        what,
    )
    stamp = claimed.health_checked_at
    assert stamp is not None
    return await wait_until(
        app,
        email,
        lambda a: a.status == -1 or (a.health_checked_at is not None and a.health_checked_at > stamp),
        f"the outcome of {what}",
    )


def reachable_smtp() -> dict[str, Any]:
    """An SMTP server that lets the account in: the login check on create passes for SMTP."""
    return {name: value for name, value in reachable().items() if name.startswith("smtp_")}


class TestHealthLoop:
    async def test_unreachable_imap_then_fixed(self, engine_app: FastAPI, make_dovecot: MakeDovecot) -> None:
        server = make_dovecot()
        server.add_user("health@example.com", IMAP_PASSWORD)
        tenant = await tenant_of(engine_app)
        async with tenant.client as client:
            body = account_body(
                "health@example.com", imap_port=server.port, imap_password=IMAP_PASSWORD, **reachable_smtp()
            )
            created = await client.post(ACCOUNTS, json=body)
            assert created.status_code == 200
            assert created.json()["status"] == 1, created.json().get("status_message")
            first = await after_a_check(engine_app, "health@example.com", "a first check")
            assert first.status == 1, first.status_message
            server.stop()
            broken = await wait_until(engine_app, "health@example.com", lambda a: a.status == -1, "the error")
            assert broken.status_message is not None
            assert broken.status_message["code"] == "ECONNECTION"
            assert "unreachable" in broken.status_message["e_message"]
            shown = (await client.get(f"{ACCOUNTS}/health%40example.com")).json()
            assert (shown["status"], shown["status_message"]) == (-1, broken.status_message)
            assert (await client.get(ACCOUNTS, params={"filter": "ACC_FILTER_ERROR"})).json()["items"][0][
                "email"
            ] == ("health@example.com")

            server.start()
            fixed = (await client.post(f"{ACCOUNTS}/health%40example.com/mark-fixed")).json()
            assert fixed["status"] == 1
            assert "status_message" not in fixed
            checked_at = (await stored(engine_app, "health@example.com")).health_checked_at
            again = await after_a_check(
                engine_app, "health@example.com", "a check after the fix", since=checked_at
            )
            assert again.status == 1, again.status_message

    async def test_refused_login(self, engine_app: FastAPI, dovecot: Dovecot) -> None:
        dovecot.add_user("refused@example.com", IMAP_PASSWORD)
        tenant = await tenant_of(engine_app)
        async with tenant.client as client:
            refused = account_body(
                "refused@example.com", imap_port=dovecot.port, imap_password="not-it", **reachable_smtp()
            )
            assert (await client.post(ACCOUNTS, json=refused)).status_code == 200
            broken = await wait_until(
                engine_app, "refused@example.com", lambda a: a.status == -1, "the error"
            )
            assert broken.status_message is not None
            assert broken.status_message["code"] == "EAUTH"
            assert broken.status_message["command"] == "LOGIN"
            assert "not-it" not in str(broken.status_message)
            resumed = await client.patch(
                f"{ACCOUNTS}/refused%40example.com", json={"imap_password": IMAP_PASSWORD}
            )
            assert resumed.status_code == 200
            assert resumed.json()["status"] == 1  # the changed password's login checked at once
            assert (await client.post(f"{ACCOUNTS}/refused%40example.com/resume")).json()["status"] == 1
            # Found on create, so the loop (which checks active accounts) has not checked it yet.
            checked_at = (await stored(engine_app, "refused@example.com")).health_checked_at
            again = await after_a_check(
                engine_app, "refused@example.com", "a check after the fix", since=checked_at
            )
            assert again.status == 1, again.status_message


class TestSmtpTls:
    @pytest.mark.parametrize(("tls", "extension"), [("starttls", {}), ("ssl", {"smtp_tls": "ssl"})])
    async def test_login_over_verified_tls(
        self,
        database_url: str,
        dns_server: DnsServer,
        dovecot: Dovecot,
        make_smtp_sink: MakeSmtpSink,
        make_tenant: MakeTenant,
        mail_tenant: Tenant,
        tmp_path: Path,
        tls: str,
        extension: dict[str, str],
    ) -> None:
        """STARTTLS (inferred from a port other than 465) or implicit TLS, verified against the CA the
        settings trust; without that CA the same login fails on the certificate."""
        email = f"{tls}@smtp-tls.test"
        dovecot.add_user(email, IMAP_PASSWORD)
        sink = make_smtp_sink(tls=tls, users={email: SMTP_PASSWORD})
        settings = mail_settings(database_url, tmp_path, dns_server, dovecot, smtp_ca_file=sink.ca_path)
        application = create_app(settings, run_engine=False)
        async with application.router.lifespan_context(application):
            tenant = await make_tenant()
            async with client_for(application, tenant.key) as client:
                body = account_body(
                    email,
                    smtp_port=sink.port,
                    smtp_password=SMTP_PASSWORD,
                    imap_port=dovecot.port,
                    imap_password=IMAP_PASSWORD,
                    **extension,
                )
                assert (await client.post(ACCOUNTS, json=body)).status_code == 200
                response = await client.post(f"{ACCOUNTS}/test/vitals", json={"accounts": [email]})
                [item] = response.json()["failure_list"]
                assert (item["smtp"], item["imap"]) == (True, True), item["messages"]
        assert (await mail_tenant.client.post(ACCOUNTS, json=body)).status_code == 200
        [item] = (await vitals(mail_tenant, email))["failure_list"]
        assert item["smtp"] is False
        assert item["messages"]["smtp"].endswith(": TLS certificate not trusted")
