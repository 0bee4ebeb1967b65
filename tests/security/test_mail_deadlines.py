"""One misbehaving mail server cannot stop reply handling or account checks for everyone: peers that
greet then talk garbage, stay silent, or speak POP3 are given up on at each step's deadline, noted, and
the other mailboxes are read as usual (the real Dovecot's reply stops its lead)."""

import asyncio
import time
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from coldsend.db.session import session_scope
from coldsend.engine.account_health import AccountHealth
from coldsend.engine.inbox_loop import InboxLoop
from coldsend.models import Account, InboxCursor
from tests.conftest import OverrideSettings, Tenant
from tests.engine.sending import leads_of, make_engine
from tests.factories import ACCOUNTS, account_body, create_sink_account, launch_campaign, step
from tests.imap_server import Dovecot
from tests.inbox.mailboxes import PASSWORD, deliver, message_ids_by_recipient
from tests.inbox.messages import reply
from tests.security.hostile_peers import Kind, MakeHostilePeer
from tests.smtp_sink import SmtpSink

T = TypeVar("T")
STEP_SECONDS = 1.0
# Far below a hang, far above a few steps' deadlines on a busy machine.
GUARD_SECONDS = 45.0
HOSTILE: tuple[Kind, ...] = ("garbage", "silent", "pop3")


async def guarded(awaitable: Awaitable[T], what: str) -> T:
    """The result, or a test failure if it has not come after GUARD_SECONDS (without waiting for a
    stuck task to unwind, which is how the hang shows)."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=GUARD_SECONDS)
    if not done:
        task.cancel()
        pytest.fail(f"{what} still running after {GUARD_SECONDS} s")
    return task.result()


async def cursor_error(app: FastAPI, email: str) -> str | None:
    async with session_scope(app.state.sessionmaker) as session:
        cursor = await session.scalar(
            select(InboxCursor)
            .join(Account, Account.id == InboxCursor.account_id)
            .where(Account.email == email)
        )
    assert cursor is not None
    return cursor.last_error


async def read_only_these_mailboxes(app: FastAPI, loop: InboxLoop, tenant: Tenant) -> None:
    """The session's database holds every earlier test's mailboxes (many on peers long gone): the loop's
    claim marks them all read now, without reading them, and this tenant's are left due."""
    while await loop._claim():
        pass
    async with session_scope(app.state.sessionmaker) as session:
        await session.execute(
            update(InboxCursor)
            .where(
                InboxCursor.account_id.in_(
                    select(Account.id).where(Account.workspace_id == tenant.workspace_id)
                )
            )
            .values(checked_at=None)
        )


async def test_hostile_imap_peers_do_not_stop_other_mailboxes(
    app: FastAPI,
    tenant: Tenant,
    smtp_sink_starttls: SmtpSink,
    dovecot: Dovecot,
    make_hostile_peer: MakeHostilePeer,
    override_settings: OverrideSettings,
) -> None:
    sink = smtp_sink_starttls
    # The login check on create, with this test's servers trusted and its deadlines.
    override_settings(
        smtp_ca_file=sink.ca_path,
        imap_ca_file=dovecot.ca_path,
        imap_timeout_seconds=STEP_SECONDS,
        account_check_seconds=5 * STEP_SECONDS,
    )
    suffix = uuid.uuid4().hex[:8]
    good = f"good-{suffix}@sender.test"
    dovecot.add_user(good, PASSWORD)
    await create_sink_account(
        tenant,
        sink,
        good,
        password=PASSWORD,
        sending_gap=0,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_tls="starttls",
    )
    hostile = {}
    for kind in HOSTILE:
        peer = make_hostile_peer(kind)
        hostile[kind] = f"{kind}-{suffix}@sender.test"
        await create_sink_account(
            tenant, sink, hostile[kind], imap_host="127.0.0.1", imap_port=peer.port, imap_tls="starttls"
        )
        # Its login check on create failed; marked fixed, as a user would, its inbox is read again.
        fixed = await tenant.client.post(f"/api/v2/accounts/{hostile[kind]}/mark-fixed")
        assert fixed.status_code == 200, fixed.text
    campaign_id = await launch_campaign(
        tenant, [good], [step("Hi {{firstName}}", "Hello")], [{"email": "ann@lead.test", "first_name": "Ann"}]
    )
    engine = make_engine(
        app,
        smtp_ca_file=sink.ca_path,
        imap_ca_file=dovecot.ca_path,
        imap_timeout_seconds=STEP_SECONDS,
        inbox_read_deadline_seconds=10 * STEP_SECONDS,
    )
    try:
        await engine.run()
        sent = message_ids_by_recipient(sink)
        await deliver(
            dovecot,
            good,
            reply(to_message_id=sent["ann@lead.test"][0], from_email="ann@lead.test", to_email=good),
        )
        loop = InboxLoop(engine.settings, app.state.sessionmaker, engine.clock)
        await read_only_these_mailboxes(app, loop, tenant)
        started = time.monotonic()

        async def read_all() -> None:
            while await loop.poll_due():
                pass

        await guarded(read_all(), "the inbox loop")
        assert time.monotonic() - started < GUARD_SECONDS
        assert (await leads_of(tenant, campaign_id))["ann@lead.test"]["status"] == 3  # completed: replied
        assert await cursor_error(app, good) is None
        for kind, email in hostile.items():
            error = await cursor_error(app, email)
            assert error is not None, kind
            assert f"within {STEP_SECONDS:g} s" in error, (kind, error)
    finally:
        await engine.close()


async def test_vitals_gives_an_answer_for_hostile_peers(
    tenant: Tenant,
    override_settings: OverrideSettings,
    make_hostile_peer: MakeHostilePeer,
) -> None:
    override_settings(
        imap_timeout_seconds=STEP_SECONDS,
        smtp_timeout_seconds=STEP_SECONDS,
        account_check_seconds=STEP_SECONDS,
    )
    ports: dict[str, int] = {}  # by account email
    for kind in HOSTILE:
        port = make_hostile_peer(kind).port
        email = f"{kind}-{uuid.uuid4().hex[:8]}@vitals.test"
        body = account_body(email, smtp_port=port, imap_port=port, imap_tls="starttls")
        assert (await tenant.client.post(ACCOUNTS, json=body)).status_code == 200
        ports[email] = port
    response = await guarded(
        tenant.client.post(f"{ACCOUNTS}/test/vitals", json={"accounts": list(ports)}),
        "POST /accounts/test/vitals",
    )
    assert response.status_code == 200, response.text
    failures = response.json()["failure_list"]
    assert sorted(item["email"] for item in failures) == sorted(ports)
    for item in failures:
        assert (item["smtp"], item["imap"]) == (False, False), item
        where = f"127.0.0.1:{ports[item['email']]}"
        assert where in item["messages"]["imap"], item
        assert where in item["messages"]["smtp"], item


async def account_status(tenant: Tenant, email: str) -> dict[str, Any]:
    shown: dict[str, Any] = (await tenant.client.get(f"{ACCOUNTS}/{email}")).json()
    return shown


async def test_health_loop_gives_up_on_hostile_peers(
    app: FastAPI,
    tenant: Tenant,
    dovecot: Dovecot,
    make_hostile_peer: MakeHostilePeer,
    override_settings: OverrideSettings,
) -> None:
    settings = override_settings(
        imap_ca_file=dovecot.ca_path,
        imap_timeout_seconds=STEP_SECONDS,
        account_check_seconds=STEP_SECONDS,
        account_health_interval_seconds=0.001,
    )
    suffix = uuid.uuid4().hex[:8]
    refused = f"refused-{suffix}@health.test"
    dovecot.add_user(refused, "the-right-one")
    bodies = [account_body(refused, imap_port=dovecot.port)]
    for kind in HOSTILE:
        port = make_hostile_peer(kind).port
        bodies.append(account_body(f"{kind}-{suffix}@health.test", imap_port=port, imap_tls="starttls"))
    for body in bodies:
        assert (await tenant.client.post(ACCOUNTS, json=body)).status_code == 200
        # Its check on create failed; marked fixed, it is active and the health loop's to check.
        assert (await tenant.client.post(f"{ACCOUNTS}/{body['email']}/mark-fixed")).json()["status"] == 1
    health = AccountHealth(settings, app.state.sessionmaker)

    async def until_all_failed() -> None:
        for _round in range(20):
            await health.check_due()
            if all([(await account_status(tenant, body["email"]))["status"] == -1 for body in bodies]):
                return

    await guarded(until_all_failed(), "the health loop")
    shown = await account_status(tenant, refused)
    assert (shown["status"], shown["status_message"]["code"]) == (-1, "EAUTH")
    for body in bodies[1:]:
        shown = await account_status(tenant, body["email"])
        assert shown["status"] == -1, body["email"]
        assert f"127.0.0.1:{body['imap_port']}" in shown["status_message"]["e_message"]
