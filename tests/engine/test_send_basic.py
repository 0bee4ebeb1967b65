"""The smallest campaign through the whole engine: two leads, two steps, one account."""

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from fastapi import FastAPI

from tests.conftest import Tenant, client_for
from tests.engine.sending import campaign_status, leads_of, make_engine, plain_text
from tests.factories import activate, add_leads, create_campaign, create_sink_account, schedule, step
from tests.smtp_sink import SmtpSink


async def test_two_steps_thread_and_complete(app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink) -> None:
    await create_sink_account(tenant, smtp_sink, "alice@sender.test", daily_limit=100, sending_gap=0)
    campaign = await create_campaign(
        tenant,
        campaign_schedule=schedule(),
        sequences=[
            {
                "steps": [
                    step(
                        "Hi {{firstName}}, about {{companyName}}",
                        "Hello {{firstName}}",
                        delay=2,
                        unit="hours",
                    ),
                    step("Following up, {{firstName}}", ""),
                ]
            }
        ],
        email_list=["alice@sender.test"],
        insert_unsubscribe_header=True,
    )
    await add_leads(
        tenant,
        campaign["id"],
        [
            {"email": "ann@lead.test", "first_name": "Ann", "company_name": "Acme"},
            {"email": "bob@lead.test", "first_name": "Bob"},
        ],
    )
    await activate(tenant, campaign["id"])
    engine = make_engine(app)
    try:
        await engine.run()
        assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == ["ann@lead.test", "bob@lead.test"]
        await engine.advance(timedelta(hours=1))
        assert len(smtp_sink.received) == 2
        await engine.advance(timedelta(hours=1, minutes=1))
        assert len(smtp_sink.received) == 4
    finally:
        await engine.close()

    by_lead: dict[str, list[EmailMessage]] = {}
    for item in smtp_sink.received:
        by_lead.setdefault(item.rcpt_tos[0], []).append(item.message)
    first, second = by_lead["ann@lead.test"]
    assert first["Subject"] == "Hello Ann"
    assert "Hi Ann, about Acme" in plain_text(first)
    assert second["Subject"] == "Re: Hello Ann"
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert second["List-Unsubscribe"].startswith("<http")
    bob_first, _ = by_lead["bob@lead.test"]
    assert "{{" not in plain_text(bob_first)

    leads = await leads_of(tenant, campaign["id"])
    assert {lead["status"] for lead in leads.values()} == {3}
    assert leads["ann@lead.test"]["last_contacted_from"] == "alice@sender.test"
    await engine.run()
    assert await campaign_status(tenant, campaign["id"]) == 3


TRACKED_URLS = re.compile(r'(?:href|src)="([^"]*/t/(?:open|click|unsubscribe)/[^"]*)"')


async def test_tracking_links_use_the_accounts_tracking_domain(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    """An account with a custom tracking domain gets its links on that host; one without, the public URL."""
    await create_sink_account(
        tenant, smtp_sink, "own@sender.test", tracking_domain_name="Track.Sender.test", skip_cname_check=True
    )
    await create_sink_account(tenant, smtp_sink, "plain@sender.test")
    body = '<p>Hi {{firstName}}, see <a href="https://example.org/offer">the offer</a>.</p>'
    for account in ("own@sender.test", "plain@sender.test"):
        campaign = await create_campaign(
            tenant,
            campaign_schedule=schedule(),
            sequences=[{"steps": [step(body, "Hello")]}],
            email_list=[account],
            open_tracking=True,
            link_tracking=True,
            insert_unsubscribe_header=True,
        )
        await add_leads(tenant, campaign["id"], [{"email": f"to-{account}", "first_name": "Ann"}])
        await activate(tenant, campaign["id"])
    engine = make_engine(app)
    try:
        await engine.run()
    finally:
        await engine.close()

    public = urlsplit(app.state.settings.effective_public_url())
    hosts: dict[str, set[str]] = {}
    for item in smtp_sink.received:
        html = item.message.get_body(("html",))
        assert html is not None
        urls = TRACKED_URLS.findall(str(html.get_content()))
        urls.append(str(item.message["List-Unsubscribe"]).strip("<>"))
        assert len(urls) == 3, urls  # the pixel, the link, the List-Unsubscribe header
        hosts[item.rcpt_tos[0]] = {urlsplit(url).netloc for url in urls}
        click = next(url for url in urls if "/t/click/" in url)
        parts = urlsplit(click.replace("&amp;", "&"))
        async with client_for(app) as anonymous:
            response = await anonymous.get(f"{parts.path}?{parts.query}")
        assert (response.status_code, response.headers["location"]) == (302, "https://example.org/offer")
    port = f":{public.port}" if public.port else ""
    assert hosts == {
        "to-own@sender.test": {f"track.sender.test{port}"},
        "to-plain@sender.test": {public.netloc},
    }
