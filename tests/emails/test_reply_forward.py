"""POST /emails/reply and /emails/forward: a lead's reply read from a real Dovecot INBOX is answered and
forwarded through the account's SMTP server (the sink), threaded, and stored as manual emails."""

import uuid
from email.message import EmailMessage
from typing import Any

from fastapi import FastAPI

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.engine.sending import make_engine, plain_text
from tests.factories import create_sink_account, launch_campaign, step
from tests.imap_server import Dovecot
from tests.inbox.mailboxes import deliver, inbox_account, message_ids_by_recipient, read_inboxes
from tests.inbox.messages import reply
from tests.smtp_sink import SmtpSink, free_port

LEAD = "ann@lead.test"


async def received_reply(
    app: FastAPI, tenant: Tenant, sink: SmtpSink, dovecot: Dovecot
) -> tuple[str, dict[str, Any]]:
    """An account whose campaign mailed LEAD, and LEAD's reply as GET /emails shows it."""
    account = f"manual-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, sink, dovecot, account)
    await launch_campaign(tenant, [account], [step("Hi there", "Hello")], [{"email": LEAD}])
    engine = make_engine(app)
    try:
        await engine.run()
        [ours] = message_ids_by_recipient(sink)[LEAD]
        await deliver(
            dovecot,
            account,
            reply(to_message_id=ours, from_email=LEAD, to_email=account, body="Tell me more."),
        )
        await read_inboxes(app, engine)
    finally:
        await engine.close()
    response = await tenant.client.get(
        "/api/v2/emails", params={"email_type": "received", "eaccount": account}
    )
    [received] = response.json()["items"]
    return account, received


def last_message(sink: SmtpSink) -> tuple[EmailMessage, list[str]]:
    item = sink.received[-1]
    return item.message, list(item.rcpt_tos)


async def test_reply_threads_to_the_lead_and_is_stored(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account, received = await received_reply(app, tenant, smtp_sink, dovecot)
    campaign_mail = smtp_sink.received[-1].message
    response = await tenant.client.post(
        "/api/v2/emails/reply",
        json={
            "eaccount": account,
            "reply_to_uuid": received["id"],
            "subject": "Re: Hello",
            "body": {"text": "Here is more.\nBest, Alice"},
            "additional_recipients": ["colleague@lead.test"],
            "cc_address_email_list": "boss@sender.test",
            "bcc_address_email_list": "audit@sender.test",
            "reminder_ts": "2026-12-01T09:00:00.000Z",
        },
    )
    assert response.status_code == 200, response.text
    sent = response.json()
    assert (sent["ue_type"], sent["eaccount"], sent["lead"]) == (3, account, LEAD)
    assert sent["thread_id"] == received["thread_id"]
    assert sent["to_address_email_list"] == f"{LEAD},colleague@lead.test"
    assert sent["bcc_address_email_list"] == "audit@sender.test"
    assert sent["reminder_ts"] == "2026-12-01T09:00:00.000Z"
    assert sent["body"]["html"] == "Here is more.<br/>\nBest, Alice"

    message, envelope = last_message(smtp_sink)
    assert sorted(envelope) == sorted([LEAD, "colleague@lead.test", "boss@sender.test", "audit@sender.test"])
    assert message["To"] == f"{LEAD}, colleague@lead.test"
    assert message["Cc"] == "boss@sender.test"
    assert message["Bcc"] is None
    assert message["In-Reply-To"] == received["message_id"]
    assert message["References"].split() == [campaign_mail["Message-ID"], received["message_id"]]
    assert message["Message-ID"] == sent["message_id"]
    assert plain_text(message).strip() == "Here is more.\nBest, Alice"

    thread = await tenant.client.get("/api/v2/emails", params={"lead": LEAD})
    assert sorted(item["ue_type"] for item in thread.json()["items"]) == [1, 2, 3]


async def test_forward_carries_the_original(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account, received = await received_reply(app, tenant, smtp_sink, dovecot)
    response = await tenant.client.post(
        "/api/v2/emails/forward",
        json={
            "eaccount": account,
            "reply_to_uuid": received["id"],
            "to_address_email_list": "sales@sender.test,ceo@sender.test",
            "subject": "Fwd: Re: Hello",
            "body": {"html": "<p>FYI, a warm lead.</p>"},
            "reply_to": "sales@sender.test",
            "include_original_body": True,
        },
    )
    assert response.status_code == 200, response.text
    forwarded = response.json()
    assert (forwarded["ue_type"], forwarded["to_address_email_list"]) == (
        3,
        "sales@sender.test,ceo@sender.test",
    )
    message, envelope = last_message(smtp_sink)
    assert sorted(envelope) == ["ceo@sender.test", "sales@sender.test"]
    assert message["Reply-To"] == "sales@sender.test"
    assert message["In-Reply-To"] is None
    text = plain_text(message)
    assert text.index("FYI, a warm lead.") < text.index("Forwarded message") < text.index("Tell me more.")
    assert f"From: {LEAD}" in text


async def test_bad_input_404s_and_scopes(
    app: FastAPI,
    tenant: Tenant,
    smtp_sink: SmtpSink,
    dovecot: Dovecot,
    make_tenant: MakeTenant,
    make_key: MakeKey,
) -> None:
    account, received = await received_reply(app, tenant, smtp_sink, dovecot)
    before = len(smtp_sink.received)
    base = {"eaccount": account, "reply_to_uuid": received["id"], "subject": "Re", "body": {"text": "x"}}
    for change, status in (
        ({"reply_to_uuid": str(uuid.uuid4())}, 404),
        ({"eaccount": "nobody@sender.test"}, 404),
        ({"body": {}}, 400),
        ({"subject": "two\nlines"}, 400),
        ({"body": {"text": "nul\x00"}}, 400),
        ({"additional_recipients": ["not an address"]}, 400),
        ({"unknown": 1}, 400),
    ):
        response = await tenant.client.post("/api/v2/emails/reply", json={**base, **change})
        assert response.status_code == status, (change, response.text)
        assert set(response.json()) == {"statusCode", "error", "message"}
    response = await tenant.client.post("/api/v2/emails/forward", json={**base})
    assert response.status_code == 400  # no to_address_email_list

    other = await make_tenant()
    response = await other.client.post("/api/v2/emails/reply", json=base)
    assert response.status_code == 404
    read_only = await make_key(tenant.workspace_id, ["emails:read"])
    async with client_for(app, read_only) as client:
        assert (await client.post("/api/v2/emails/reply", json=base)).status_code == 403

    down = f"down-{uuid.uuid4().hex[:8]}@sender.test"
    await create_sink_account(tenant, smtp_sink, down, smtp_port=free_port())
    response = await tenant.client.post("/api/v2/emails/reply", json={**base, "eaccount": down})
    assert response.status_code == 400
    assert "SMTP server" in response.json()["message"]
    assert len(smtp_sink.received) == before
    stored = await tenant.client.get("/api/v2/emails", params={"lead": LEAD, "email_type": "manual"})
    assert stored.json()["items"] == []
