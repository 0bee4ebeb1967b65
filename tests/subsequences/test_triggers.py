"""Leads entering subsequences on their own: a reply containing the subsequence's phrase (read from a real
Dovecot INBOX), an open, an interest status, the campaign finished without a reply; then the engine sends
them the subsequence's steps."""

import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import campaign_status, leads_of, make_engine
from tests.factories import create_sink_account, create_subsequence, launch_campaign, resume_subsequence, step
from tests.imap_server import Dovecot
from tests.inbox.mailboxes import deliver, inbox_account, message_ids_by_recipient, read_inboxes
from tests.inbox.messages import reply
from tests.smtp_sink import SmtpSink

OPEN_PIXEL = re.compile(r'src="([^"]*/t/open/[^"]*)"')


async def running_subsequence(
    tenant: Tenant, campaign_id: str, conditions: dict[str, Any], subject: str
) -> str:
    """A resumed subsequence entered on `conditions`: one step, named and titled `subject`; its id."""
    steps = [step(f"{subject} for {{{{firstName}}}}", subject, delay=1)]
    created = await create_subsequence(
        tenant, campaign_id, subject, conditions=conditions, sequences=[{"steps": steps}]
    )
    await resume_subsequence(tenant, created["id"])
    return str(created["id"])


def subjects_to(sink: SmtpSink, address: str) -> list[str]:
    return [str(item.message["Subject"]) for item in sink.received if item.rcpt_tos[0] == address]


async def test_a_reply_with_the_phrase_enters_the_subsequence(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, dovecot: Dovecot
) -> None:
    account = f"sub-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    campaign_id = await launch_campaign(
        tenant,
        [account],
        # Our own words quoted back in a reply must not trigger anything.
        [step("Shall I send our pricing?", "Hello"), step("Following up", "")],
        [{"email": "ann@lead.test"}, {"email": "bob@lead.test"}],
    )
    subsequence_id = await running_subsequence(
        tenant, campaign_id, {"reply_contains": "Pricing"}, "Our pricing"
    )
    engine = make_engine(app)
    try:
        await engine.run()
        sent = message_ids_by_recipient(smtp_sink)
        await deliver(
            dovecot,
            account,
            reply(
                to_message_id=sent["ann@lead.test"][0],
                from_email="ann@lead.test",
                to_email=account,
                body="Yes, send the pricing please.",
            ),
            reply(
                to_message_id=sent["bob@lead.test"][0],
                from_email="bob@lead.test",
                to_email=account,
                body="No thanks.",
            ),
        )
        await read_inboxes(app, engine)
        leads = await leads_of(tenant, campaign_id)
        assert leads["ann@lead.test"]["subsequence_id"] == subsequence_id
        assert leads["bob@lead.test"]["subsequence_id"] is None
        assert await campaign_status(tenant, campaign_id) == 1

        await engine.advance(timedelta(days=1, minutes=1))
        await engine.advance(timedelta(minutes=1))
    finally:
        await engine.close()
    # Both replied, so the campaign's own follow-up goes to neither; ann gets the subsequence's step.
    assert subjects_to(smtp_sink, "ann@lead.test") == ["Hello", "Our pricing"]
    assert subjects_to(smtp_sink, "bob@lead.test") == ["Hello"]
    assert await campaign_status(tenant, campaign_id) == 3


async def test_open_interest_and_completion_enter_their_subsequences(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "triggers@sender.test", sending_gap=0)

    async def campaign(steps: int, leads: list[str], **fields: Any) -> str:
        sequence = [step(f"<p>Step {n}</p>", f"Step {n}") for n in range(steps)]
        addresses = [{"email": email} for email in leads]
        return await launch_campaign(tenant, ["triggers@sender.test"], sequence, addresses, **fields)

    opened = await campaign(2, ["reader@lead.test", "ignorer@lead.test"], open_tracking=True)
    on_open = await running_subsequence(tenant, opened, {"lead_activity": [2]}, "Saw you opened")
    interested = await campaign(2, ["keen@lead.test"])
    on_interest = await running_subsequence(tenant, interested, {"crm_status": [1, 2]}, "Glad you are keen")
    finished = await campaign(1, ["quiet@lead.test"])
    on_finish = await running_subsequence(tenant, finished, {"lead_activity": [91]}, "One last note")

    engine = make_engine(app)
    try:
        await engine.run()
        [first] = [item for item in smtp_sink.received if item.rcpt_tos[0] == "reader@lead.test"]
        html = first.message.get_body(("html",))
        assert html is not None
        [pixel] = OPEN_PIXEL.findall(str(html.get_content()))
        assert (await tenant.client.get(urlsplit(pixel.replace("&amp;", "&")).path)).status_code == 200
        keen = (await leads_of(tenant, interested))["keen@lead.test"]
        response = await tenant.client.patch(f"/api/v2/leads/{keen['id']}", json={"lt_interest_status": 1})
        assert response.status_code == 200, response.text

        assert (await leads_of(tenant, opened))["reader@lead.test"]["subsequence_id"] == on_open
        assert (await leads_of(tenant, opened))["ignorer@lead.test"]["subsequence_id"] is None
        assert (await leads_of(tenant, interested))["keen@lead.test"]["subsequence_id"] == on_interest
        assert (await leads_of(tenant, finished))["quiet@lead.test"]["subsequence_id"] == on_finish

        await engine.advance(timedelta(days=1, minutes=1))
        await engine.advance(timedelta(minutes=1))
    finally:
        await engine.close()
    assert subjects_to(smtp_sink, "reader@lead.test") == ["Step 0", "Saw you opened"]
    assert subjects_to(smtp_sink, "ignorer@lead.test") == ["Step 0", "Step 1"]
    assert subjects_to(smtp_sink, "keen@lead.test") == ["Step 0", "Glad you are keen"]
    assert subjects_to(smtp_sink, "quiet@lead.test") == ["Step 0", "One last note"]
