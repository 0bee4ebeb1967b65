"""Every event type, produced by a real action, reaches the receiver once with Instantly's fields: a
campaign sends through the SMTP sink, its mail is opened and clicked through the tracking routes, a reply
and a bounce come back through Dovecot, interest changes come from PATCH and a custom label, a campaign
completes, and an account falls into connection error. Webhooks are made through the API; the receiver
(its own process) verifies every signature with the `standardwebhooks` package."""

import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI

from coldsend.engine.webhook_dispatcher import WebhookDispatcher
from tests.conftest import OverrideSettings, Tenant, client_for
from tests.engine.sending import leads_of, make_engine
from tests.factories import create_lead_label, create_offline_account, launch_campaign, step
from tests.imap_server import Dovecot
from tests.inbox.mailboxes import deliver, inbox_account, message_ids_by_recipient, read_inboxes
from tests.inbox.messages import auto_reply, dsn_bounce, reply
from tests.smtp_sink import SmtpSink
from tests.webhook_receiver import Received, Receiver

WEBHOOKS = "/api/v2/webhooks"
TRACKED = re.compile(r'(?:href|src)="([^"]*/t/(?:open|click)/[^"]*)"')
ALWAYS = {"timestamp", "event_type", "workspace", "campaign_id", "campaign_name"}


async def subscribe(tenant: Tenant, hooks: Receiver, path: str, **body: Any) -> str:
    response = await tenant.client.post(WEBHOOKS, json={"target_hook_url": hooks.url(path), **body})
    assert response.status_code == 200, response.text
    webhook_id = str(response.json()["id"])
    secret = (await tenant.client.get(f"{WEBHOOKS}/{webhook_id}/secret")).json()["secret"]
    hooks.verify_with(path, secret)
    return webhook_id


async def deliver_all(dispatcher: WebhookDispatcher) -> None:
    while await dispatcher.run_until_idle():
        pass


def by_type(received: list[Received]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for request in received:
        assert request.verified == [True], request.headers
        found.setdefault(request.json()["event_type"], []).append(request.json())
    return found


async def follow_tracking(app: FastAPI, sink: SmtpSink, recipient: str) -> None:
    """The lead's mail client loads the pixel and the lead clicks the link."""
    [item] = [item for item in sink.received if item.rcpt_tos == [recipient]]
    html = item.message.get_body(("html",))
    assert html is not None
    urls = TRACKED.findall(str(html.get_content()))
    assert len(urls) == 2, urls
    async with client_for(app) as anonymous:
        for url in urls:
            parts = urlsplit(url.replace("&amp;", "&"))
            response = await anonymous.get(f"{parts.path}?{parts.query}")
            assert response.status_code in (200, 302), response.text


async def test_each_event_type_arrives_once_with_its_fields(
    app: FastAPI,
    tenant: Tenant,
    smtp_sink: SmtpSink,
    dovecot: Dovecot,
    hooks: Receiver,
    override_settings: OverrideSettings,
) -> None:
    override_settings(webhook_allow_private=True)
    account = f"hooks-{uuid.uuid4().hex[:8]}@sender.test"
    await inbox_account(tenant, smtp_sink, dovecot, account)
    label = await create_lead_label(tenant, "Asked for pricing")
    leads: list[dict[str, Any]] = [
        {"email": "ann@leads.test", "first_name": "Ann", "custom_variables": {"deal_size": "large"}},
        {"email": "bob@leads.test", "first_name": "Bob"},
        {"email": "cat@leads.test", "first_name": "Cat"},
    ]
    campaign_id = await launch_campaign(
        tenant,
        [account],
        [step('<p>Hi {{firstName}}, <a href="https://example.org/offer">the offer</a>.</p>', "Hello")],
        leads,
        open_tracking=True,
        link_tracking=True,
        name="Launch",
    )
    other_id = await launch_campaign(
        tenant, [account], [step("Other", "Other")], [{"email": "dan@leads.test"}]
    )
    await subscribe(tenant, hooks, "/all", event_type="all_events")
    await subscribe(tenant, hooks, "/sent-launch", event_type="email_sent", campaign=campaign_id)
    await subscribe(tenant, hooks, "/clicks", event_type="email_link_clicked")
    await subscribe(tenant, hooks, "/label", custom_interest_value=label["interest_status"])

    engine = make_engine(app)
    dispatcher = WebhookDispatcher(app.state.settings, app.state.sessionmaker, engine.clock)
    try:
        await engine.run()
        sent = message_ids_by_recipient(smtp_sink)
        await follow_tracking(app, smtp_sink, "ann@leads.test")
        await deliver(
            dovecot,
            account,
            reply(to_message_id=sent["ann@leads.test"][0], from_email="ann@leads.test", to_email=account),
            auto_reply(
                to_message_id=sent["bob@leads.test"][0], from_email="bob@leads.test", to_email=account
            ),
            dsn_bounce(
                original_message_id=sent["cat@leads.test"][0], recipient="cat@leads.test", to_email=account
            ),
        )
        await read_inboxes(app, engine)
        lead_ids = {email: lead["id"] for email, lead in (await leads_of(tenant, campaign_id)).items()}
        for value in (1, label["interest_status"]):
            response = await tenant.client.patch(
                f"/api/v2/leads/{lead_ids['ann@leads.test']}", json={"lt_interest_status": value}
            )
            assert response.status_code == 200, response.text
        await create_offline_account(tenant, f"broken-{uuid.uuid4().hex[:6]}@sender.test")
        engine.clock.advance(timedelta(days=1))
        await engine.run()  # every lead is done: the campaigns complete
        await deliver_all(dispatcher)
    finally:
        await dispatcher.close()
        await engine.close()

    everything = by_type(hooks.requests("/all"))
    for payloads in everything.values():
        for payload in payloads:
            assert ALWAYS <= set(payload), payload
            assert payload["workspace"] == str(tenant.workspace_id)
    sent_events = {payload["lead_email"]: payload for payload in everything["email_sent"]}
    assert sorted(sent_events) == ["ann@leads.test", "bob@leads.test", "cat@leads.test", "dan@leads.test"]
    ann = sent_events["ann@leads.test"]
    assert (ann["campaign_id"], ann["campaign_name"], ann["email_account"]) == (
        campaign_id,
        "Launch",
        account,
    )
    assert (ann["step"], ann["variant"], ann["is_first"]) == (1, 1, True)
    assert ann["email_subject"] == "Hello"
    assert "the offer" in ann["email_html"]
    assert ann["deal_size"] == "large"  # the lead's custom variables, merged in
    [opened] = everything["email_opened"]
    [clicked] = everything["link_clicked"]  # subscribed as email_link_clicked
    assert opened["lead_email"] == clicked["lead_email"] == "ann@leads.test"
    [replied] = everything["reply_received"]
    assert replied["lead_email"] == "ann@leads.test"
    assert replied["is_first"] is True
    assert all(replied[key] for key in ("reply_text", "reply_subject", "reply_text_snippet", "unibox_url"))
    emails = (await tenant.client.get("/api/v2/emails", params={"lead": "ann@leads.test"})).json()["items"]
    received = [email for email in emails if email["ue_type"] == 2]
    assert [email["id"] for email in received] == [replied["email_id"]]  # usable as reply_to_uuid
    [automatic] = everything["auto_reply_received"]
    assert automatic["lead_email"] == "bob@leads.test"
    [bounced] = everything["email_bounced"]
    assert (bounced["lead_email"], bounced["bounce_type"]) == ("cat@leads.test", "hard")
    [interested] = everything["lead_interested"]
    assert interested["lead_email"] == "ann@leads.test"
    [custom] = everything["Asked for pricing"]  # a custom label's events carry its name
    assert custom["interest_value"] == label["interest_status"]
    completed = {payload["campaign_id"] for payload in everything["campaign_completed"]}
    assert completed == {campaign_id, other_id}
    [account_error] = everything["account_error"]
    assert account_error["email_account"].startswith("broken-")

    # Each event once: nothing delivered twice to a webhook.
    ids = [request.headers["webhook-id"] for request in hooks.requests("/all")]
    assert len(ids) == len(set(ids))
    # The campaign filter: only the Launch campaign's sends.
    filtered = by_type(hooks.requests("/sent-launch"))
    assert sorted(payload["lead_email"] for payload in filtered["email_sent"]) == [
        "ann@leads.test",
        "bob@leads.test",
        "cat@leads.test",
    ]
    assert set(filtered) == {"email_sent"}
    assert set(by_type(hooks.requests("/clicks"))) == {"link_clicked"}
    assert [payload["event_type"] for payload in (r.json() for r in hooks.requests("/label"))] == [
        "Asked for pricing"
    ]


async def test_the_test_operation_posts_a_signed_sample_and_logs_it(
    tenant: Tenant, hooks: Receiver, override_settings: OverrideSettings
) -> None:
    override_settings(webhook_allow_private=True)
    good = await subscribe(tenant, hooks, "/good", event_type="email_link_clicked")
    failing = await subscribe(tenant, hooks, "/failing", event_type="all_events")
    hooks.answer("/failing", status=500)

    response = await tenant.client.post(f"{WEBHOOKS}/{good}/test")
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["success"], result["message"], result["status_code"]) == (
        True,
        "Webhook test successful",
        204,
    )
    assert "error" not in result
    [request] = hooks.requests("/good")
    assert request.verified == [True]
    assert (request.json()["event_type"], request.json()["is_test"]) == ("link_clicked", True)

    result = (await tenant.client.post(f"{WEBHOOKS}/{failing}/test")).json()
    assert (result["success"], result["status_code"]) == (False, 500)
    assert result["error"].startswith("HTTP 500")

    log = (await tenant.client.get("/api/v2/webhook-events")).json()["items"]
    assert [(event["webhook_url"], event["success"], event["will_retry"]) for event in log] == [
        (hooks.url("/failing"), False, False),
        (hooks.url("/good"), True, False),
    ]
    other = await tenant.client.post(f"{WEBHOOKS}/{uuid.uuid4()}/test")
    assert other.status_code == 404
