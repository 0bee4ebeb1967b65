"""Hard and soft bounces and spam complaints end to end: the engine sends to the SMTP sink, reports come
back into the account's INBOX on Dovecot, and the leads, the resends and the analytics show what each
one does."""

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import Engine, leads_of, make_engine
from tests.factories import launch_campaign, step
from tests.imap_server import Dovecot
from tests.inbox.complaints import arf_complaint
from tests.inbox.mailboxes import deliver, inbox_account, message_ids_by_recipient, read_inboxes
from tests.inbox.messages import dsn_bounce
from tests.smtp_sink import SmtpSink

MAILBOX_FULL = "552 5.2.2 <{recipient}>: Mailbox full"
USER_UNKNOWN = "550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"


async def campaign_analytics(tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    response = await tenant.client.get("/api/v2/campaigns/analytics", params={"id": campaign_id})
    assert response.status_code == 200, response.text
    [analytics] = response.json()
    return dict(analytics)


async def statuses(tenant: Tenant, campaign_id: str) -> dict[str, int]:
    return {email: lead["status"] for email, lead in (await leads_of(tenant, campaign_id)).items()}


async def sent_to(sink: SmtpSink, address: str) -> int:
    return len(message_ids_by_recipient(sink).get(address, []))


async def resend(engine: Engine, sink: SmtpSink, address: str, count: int) -> None:
    """Time moves on until `address` has received `count` messages in all."""

    async def done() -> bool:
        return await sent_to(sink, address) >= count

    await engine.run_until(done, step=timedelta(hours=1), limit=timedelta(days=2))


async def setup(tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot, leads: list[str]) -> tuple[str, str]:
    account = f"bounces-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    campaign_id = await launch_campaign(
        tenant, [account], [step("Hi {{firstName}}", "Hello")], [{"email": email} for email in leads]
    )
    return account, campaign_id


async def test_a_soft_bounce_retries_until_the_bound_and_a_hard_one_stops_at_once(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    soft, hard, late = "full@lead.test", "gone@lead.test", "slow@lead.test"
    account, campaign_id = await setup(tenant, smtp_sink, dovecot, [soft, hard, late])
    retries = app.state.settings.soft_bounce_retries
    assert retries == 2
    engine = make_engine(app)
    try:
        await engine.run()
        sent = message_ids_by_recipient(smtp_sink)
        assert sorted(sent) == [soft, hard, late]
        await deliver(
            dovecot,
            account,
            dsn_bounce(
                original_message_id=sent[soft][0], recipient=soft, status="5.2.2", diagnostic=MAILBOX_FULL
            ),
            dsn_bounce(
                original_message_id=sent[hard][0], recipient=hard, status="5.1.1", diagnostic=USER_UNKNOWN
            ),
            # A delay warning is no bounce: the lead it names carries on.
            dsn_bounce(
                original_message_id=sent[late][0],
                recipient=late,
                action="delayed",
                status="4.4.1",
                diagnostic="421 4.4.1 Connection timed out",
            ),
        )
        await read_inboxes(app, engine)
        assert await statuses(tenant, campaign_id) == {soft: 1, hard: -1, late: 3}

        for attempt in range(retries):
            await resend(engine, smtp_sink, soft, 2 + attempt)
            # The same message again: the step, not a new one.
            assert set(message_ids_by_recipient(smtp_sink)[soft]) == {sent[soft][0]}
            await deliver(
                dovecot,
                account,
                dsn_bounce(
                    original_message_id=sent[soft][0],
                    recipient=soft,
                    status="4.4.7",
                    action="expired" if attempt else "failed",
                    diagnostic="421 4.4.7 Message expired: too long in queue",
                ),
            )
            await read_inboxes(app, engine)
        assert (await statuses(tenant, campaign_id))[soft] == -1

        engine.clock.advance(timedelta(days=3))
        await engine.run()
    finally:
        await engine.close()

    assert await sent_to(smtp_sink, soft) == 1 + retries
    assert await sent_to(smtp_sink, hard) == 1
    analytics = await campaign_analytics(tenant, campaign_id)
    assert {
        key: analytics[key]
        for key in ("bounced_count", "hard_bounced_count", "soft_bounced_count", "emails_sent_count")
    } == {
        "bounced_count": 2,
        "hard_bounced_count": 1,
        "soft_bounced_count": 1,
        "emails_sent_count": 3 + retries,  # every try went out
    }


async def test_a_soft_bounce_that_later_goes_through_completes_the_lead(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    lead = "busy@lead.test"
    account, campaign_id = await setup(tenant, smtp_sink, dovecot, [lead])
    engine = make_engine(app)
    try:
        await engine.run()
        [message_id] = message_ids_by_recipient(smtp_sink)[lead]
        await deliver(
            dovecot,
            account,
            dsn_bounce(
                original_message_id=message_id, recipient=lead, status="5.2.2", diagnostic=MAILBOX_FULL
            ),
        )
        await read_inboxes(app, engine)
        assert await statuses(tenant, campaign_id) == {lead: 1}
        await resend(engine, smtp_sink, lead, 2)
        engine.clock.advance(timedelta(days=3))
        await engine.run()
    finally:
        await engine.close()

    assert await statuses(tenant, campaign_id) == {lead: 3}
    assert await sent_to(smtp_sink, lead) == 2
    emails = (await tenant.client.get("/api/v2/emails", params={"lead": lead})).json()["items"]
    assert len(emails) == 1  # the step's one Email row, its second try
    campaign = (await tenant.client.get(f"/api/v2/campaigns/{campaign_id}")).json()
    assert campaign["status"] == 3
    analytics = await campaign_analytics(tenant, campaign_id)
    assert (analytics["bounced_count"], analytics["soft_bounced_count"], analytics["hard_bounced_count"]) == (
        0,
        1,
        0,
    )


async def test_a_follow_up_waits_for_the_soft_bounced_step_to_go_again(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    """Step 2 is due two hours after step 1, its retry six hours after the soft bounce: the lead still
    gets step 1 again before step 2."""
    lead = "full-then-fine@lead.test"
    account = f"bounces-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    steps = [step("Hello", "First", delay=2, unit="hours"), step("Again", "Second")]
    campaign_id = await launch_campaign(tenant, [account], steps, [{"email": lead}])
    engine = make_engine(app)
    try:
        await engine.run()
        [message_id] = message_ids_by_recipient(smtp_sink)[lead]
        bounce = dsn_bounce(
            original_message_id=message_id, recipient=lead, status="5.2.2", diagnostic=MAILBOX_FULL
        )
        await deliver(dovecot, account, bounce)
        await read_inboxes(app, engine)
        await resend(engine, smtp_sink, lead, 3)
    finally:
        await engine.close()

    subjects = [str(item.message["Subject"]) for item in smtp_sink.received if item.rcpt_tos == [lead]]
    assert subjects == ["First", "First", "Second"]
    assert await statuses(tenant, campaign_id) == {lead: 3}


async def test_refusals_during_the_smtp_transaction_are_soft_or_hard(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    full, gone = "quota@lead.test", "nobody@lead.test"
    _account, campaign_id = await setup(tenant, smtp_sink, dovecot, [full, gone])
    smtp_sink.answer_rcpt(full, MAILBOX_FULL.format(recipient=full), times=1)
    smtp_sink.answer_rcpt(gone, USER_UNKNOWN.format(recipient=gone))
    engine = make_engine(app)
    try:
        await engine.run()
        assert await statuses(tenant, campaign_id) == {full: 1, gone: -1}
        await resend(engine, smtp_sink, full, 1)
    finally:
        await engine.close()

    assert await statuses(tenant, campaign_id) == {full: 3, gone: -1}
    assert sorted(rejected.address for rejected in smtp_sink.rejected) == sorted([full, gone])
    analytics = await campaign_analytics(tenant, campaign_id)
    assert (analytics["bounced_count"], analytics["soft_bounced_count"], analytics["hard_bounced_count"]) == (
        1,
        1,
        1,
    )


async def test_a_spam_complaint_unsubscribes_and_blocks_the_lead(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    angry, calm = "angry@lead.test", "calm@lead.test"
    account = f"complaints-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    campaign_id = await launch_campaign(
        tenant,
        [account],
        [step("Hi", "Hello"), step("Following up", "")],
        [{"email": angry}, {"email": calm}],
    )
    engine = make_engine(app)
    try:
        await engine.run()
        sent = message_ids_by_recipient(smtp_sink)
        complaint = arf_complaint(original_message_id=sent[angry][0], recipient=angry, to_email=account)
        await deliver(dovecot, account, complaint, complaint)  # the provider sent it twice
        await read_inboxes(app, engine)
        assert await statuses(tenant, campaign_id) == {angry: -2, calm: 1}
        engine.clock.advance(timedelta(days=1, minutes=1))
        await engine.run()
    finally:
        await engine.close()

    assert await sent_to(smtp_sink, angry) == 1
    assert await sent_to(smtp_sink, calm) == 2
    entries = (await tenant.client.get("/api/v2/block-lists-entries")).json()["items"]
    assert [entry["bl_value"] for entry in entries] == [angry]
    analytics = await campaign_analytics(tenant, campaign_id)
    assert (analytics["complaint_count"], analytics["unsubscribed_count"]) == (1, 1)
