"""The inbox loop end to end: a campaign sends through the engine to the SMTP sink, the leads' answers
land in the account's INBOX on a real Dovecot (IMAP APPEND, as a delivery would), and the loop reads them
and tells replies, auto-replies and bounces apart, as the API then shows."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update

from coldsend.db.session import session_scope
from coldsend.models import Account, InboxCursor
from tests.conftest import Tenant
from tests.engine.sending import leads_of, make_engine
from tests.factories import create_sink_account, launch_campaign, step
from tests.imap_server import Dovecot
from tests.inbox.mailboxes import (
    PASSWORD,
    deliver,
    inbox_account,
    inbox_loop,
    message_ids_by_recipient,
    read_inboxes,
)
from tests.inbox.messages import auto_reply, dsn_bounce, reply
from tests.smtp_sink import SmtpSink


async def received_emails(tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/v2/emails", params={"email_type": "received", **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def campaign_analytics(tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    response = await tenant.client.get("/api/v2/campaigns/analytics", params={"id": campaign_id})
    assert response.status_code == 200, response.text
    [analytics] = response.json()
    return dict(analytics)


async def test_replies_auto_replies_and_bounces_stop_the_right_leads(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account = f"inbox-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    leads = ["ann@lead.test", "bob@lead.test", "cat@lead.test", "dan@lead.test"]
    campaign_id = await launch_campaign(
        tenant,
        [account],
        [step("Hi {{firstName}}", "Hello {{firstName}}"), step("Following up", "")],
        [{"email": email, "first_name": email[:3]} for email in leads],
        cc_list=["boss@copies.test"],
    )
    engine = make_engine(app)
    try:
        await engine.run()
        sent = message_ids_by_recipient(smtp_sink)
        assert sorted(sent) == leads
        await deliver(
            dovecot,
            account,
            reply(to_message_id=sent["ann@lead.test"][0], from_email="ann@lead.test", to_email=account),
            auto_reply(to_message_id=sent["bob@lead.test"][0], from_email="bob@lead.test", to_email=account),
            dsn_bounce(
                original_message_id=sent["cat@lead.test"][0], recipient="cat@lead.test", to_email=account
            ),
            # The cc'd copy of dan's mail bounced, not dan's.
            dsn_bounce(
                original_message_id=sent["dan@lead.test"][0], recipient="boss@copies.test", to_email=account
            ),
            # Mail that concerns no send of ours: a reply in someone else's thread.
            reply(to_message_id="<elsewhere@other.test>", from_email="zed@other.test", to_email=account),
        )
        await read_inboxes(app, engine)

        by_email = await leads_of(tenant, campaign_id)
        assert {email: by_email[email]["status"] for email in leads} == {
            "ann@lead.test": 3,  # replied: the sequence stops (stop_on_reply unset means stop)
            "bob@lead.test": 1,  # an auto-reply does not stop it unless stop_on_auto_reply
            "cat@lead.test": -1,  # bounced
            "dan@lead.test": 1,
        }
        assert by_email["ann@lead.test"]["email_reply_count"] == 1
        assert by_email["ann@lead.test"]["email_replied_step"] == 0
        assert by_email["ann@lead.test"]["timestamp_last_reply"] is not None
        assert by_email["bob@lead.test"]["email_reply_count"] == 0

        [received] = await received_emails(tenant, lead="ann@lead.test")
        assert received["ue_type"] == 2
        assert received["is_unread"] == 1
        assert received["from_address_email"] == "ann@lead.test"
        assert received["campaign_id"] == campaign_id
        [sent_email] = [
            item
            for item in (await tenant.client.get("/api/v2/emails", params={"lead": "ann@lead.test"})).json()[
                "items"
            ]
            if item["ue_type"] == 1
        ]
        assert received["thread_id"] == sent_email["thread_id"]
        [automatic] = await received_emails(tenant, lead="bob@lead.test")
        assert automatic["is_auto_reply"] == 1

        engine.clock.advance(timedelta(days=1, minutes=1))
        await engine.run()
        second_step = [item.rcpt_tos[0] for item in smtp_sink.received[len(leads) :]]
        assert sorted(second_step) == ["bob@lead.test", "dan@lead.test"]

        # Read again, from scratch (as after the server renumbered the mailbox): nothing counts twice.
        async with session_scope(app.state.sessionmaker) as session:
            mailbox = select(Account.id).where(Account.email == account).scalar_subquery()
            await session.execute(
                update(InboxCursor)
                .where(InboxCursor.account_id == mailbox)
                .values(uid_validity=None, last_uid=0)
            )
        await read_inboxes(app, engine)
    finally:
        await engine.close()

    analytics = await campaign_analytics(tenant, campaign_id)
    assert (analytics["reply_count"], analytics["reply_count_automatic"], analytics["bounced_count"]) == (
        1,
        1,
        1,
    )
    assert len(await received_emails(tenant, campaign_id=campaign_id)) == 2
    assert (await leads_of(tenant, campaign_id))["ann@lead.test"]["email_reply_count"] == 1


async def test_stop_for_company_and_stop_on_auto_reply(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account = f"inbox-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    leads = ["ceo@acme.test", "cto@acme.test", "one@gmail.com", "two@gmail.com", "away@other.test"]
    campaign_id = await launch_campaign(
        tenant,
        [account],
        [step("Hi", "Hello"), step("Again", "")],
        [{"email": email} for email in leads],
        stop_for_company=True,
        stop_on_auto_reply=True,
    )
    engine = make_engine(app)
    try:
        await engine.run()
        sent = message_ids_by_recipient(smtp_sink)
        await deliver(
            dovecot,
            account,
            reply(to_message_id=sent["ceo@acme.test"][0], from_email="ceo@acme.test", to_email=account),
            reply(to_message_id=sent["one@gmail.com"][0], from_email="one@gmail.com", to_email=account),
            auto_reply(
                to_message_id=sent["away@other.test"][0],
                from_email="away@other.test",
                to_email=account,
                style="outlook",
            ),
        )
        await read_inboxes(app, engine)
        statuses = {email: lead["status"] for email, lead in (await leads_of(tenant, campaign_id)).items()}
        assert statuses == {
            "ceo@acme.test": 3,
            "cto@acme.test": 3,  # the company replied
            "one@gmail.com": 3,
            "two@gmail.com": 1,  # a shared mail domain is nobody's company
            "away@other.test": 3,  # stop_on_auto_reply
        }
        engine.clock.advance(timedelta(days=1, minutes=1))
        await engine.run()
        assert [item.rcpt_tos[0] for item in smtp_sink.received[len(leads) :]] == ["two@gmail.com"]
    finally:
        await engine.close()


async def test_an_unreachable_mailbox_is_noted_and_tried_again(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account = f"inbox-{uuid.uuid4().hex[:8]}@sender.test"
    await create_sink_account(
        tenant, smtp_sink, account, imap_host=dovecot.host, imap_port=dovecot.port, imap_tls="cleartext"
    )  # no such Dovecot user: its login is refused (on create too, which puts it in connection error)
    fixed = await tenant.client.post(f"/api/v2/accounts/{account}/mark-fixed")
    assert fixed.json()["status"] == 1  # marked fixed, it is read again
    engine = make_engine(app)
    try:
        loop = inbox_loop(app, engine)
        while await loop.poll_due():
            pass
        cursor = await cursor_of(app, account)
        assert cursor is not None
        assert cursor.last_error is not None
        assert "LOGIN" in cursor.last_error
        checked = cursor.checked_at
        assert await loop.poll_due() == 0  # every mailbox was read this interval
        cursor = await cursor_of(app, account)
        assert cursor is not None
        assert cursor.checked_at == checked  # polled this interval already
        dovecot.add_user(account, PASSWORD)
        await read_inboxes(app, engine)
        cursor = await cursor_of(app, account)
        assert cursor is not None
        assert cursor.last_error is None
        assert cursor.uid_validity is not None
        assert checked is not None
        assert cursor.checked_at is not None
        assert cursor.checked_at > checked
    finally:
        await engine.close()


async def cursor_of(app: FastAPI, email: str) -> InboxCursor | None:
    async with session_scope(app.state.sessionmaker) as session:
        found: InboxCursor | None = await session.scalar(
            select(InboxCursor)
            .join(Account, Account.id == InboxCursor.account_id)
            .where(Account.email == email)
        )
        return found


async def test_two_workers_reading_one_mailbox_handle_each_message_once(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account = f"inbox-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account, daily_limit=100)
    leads = [f"lead{n}@racing.test" for n in range(60)]  # more than one fetch chunk
    campaign_id = await launch_campaign(
        tenant, [account], [step("Hi", "Hello")], [{"email": email} for email in leads]
    )
    engine = make_engine(app)
    try:
        await engine.run()
        await read_inboxes(app, engine)  # an empty mailbox: the cursor notes where it stands
        sent = message_ids_by_recipient(smtp_sink)
        await deliver(
            dovecot,
            account,
            *(reply(to_message_id=sent[email][0], from_email=email, to_email=account) for email in leads),
        )
        cursor = await cursor_of(app, account)
        assert cursor is not None
        assert cursor.uid_validity is not None
        first, second = inbox_loop(app, engine), inbox_loop(app, engine)
        handled = await asyncio.gather(first.poll(cursor.account_id), second.poll(cursor.account_id))
    finally:
        await engine.close()
    assert sum(handled) == len(leads)
    by_email = await leads_of(tenant, campaign_id)
    assert {by_email[email]["email_reply_count"] for email in leads} == {1}
    assert len(await received_emails(tenant, campaign_id=campaign_id, limit=100)) == len(leads)


async def test_a_reply_with_oversized_headers_is_still_recorded(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account = f"inbox-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    leads = [{"email": "long@lead.test"}]
    campaign_id = await launch_campaign(tenant, [account], [step("Hi", "Hello")], leads)
    engine = make_engine(app)
    try:
        await engine.run()
        [ours] = message_ids_by_recipient(smtp_sink)["long@lead.test"]
        sender = f"{'x' * 400}@lead.test"  # longer than any address column
        await deliver(dovecot, account, reply(to_message_id=ours, from_email=sender, to_email=account))
        await read_inboxes(app, engine)
    finally:
        await engine.close()
    assert (await leads_of(tenant, campaign_id))["long@lead.test"]["email_reply_count"] == 1
    [received] = await received_emails(tenant, campaign_id=campaign_id)
    assert received["from_address_email"] == sender[:320]
