"""Analytics and the email list agree with what a real campaign delivered to the SMTP sink.

The campaign runs in the engine (tests/engine/sending.py's harness, on a manual clock); opens and clicks
come from fetching the tracking URLs found in the delivered messages.
"""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fastapi import FastAPI

from tests.conftest import OverrideSettings, Tenant
from tests.engine.sending import make_engine, sent_at
from tests.factories import activate, add_leads, create_campaign, create_sink_account, schedule, step
from tests.pages import collect_pages
from tests.smtp_sink import Received, SmtpSink

ACCOUNTS = ["ann@out1.test", "bo@out2.test"]
LEADS = 8
START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
VARIANTS = {"Alpha": ("0", "0"), "Beta": ("0", "1"), "Again": ("1", "0")}
OPEN_URL = re.compile(r'src="([^"]*/t/open/[^"]*)"')
CLICK_URL = re.compile(r'href="([^"]*/t/click/[^"]*)"')


def html_of(item: Received) -> str:
    part = item.message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def step_variant(item: Received) -> tuple[str, str]:
    return VARIANTS[str(item.message["Subject"]).split()[0]]


def path_of(url: str) -> str:
    parts = urlsplit(url.replace("&amp;", "&"))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def run_campaign(app: FastAPI, tenant: Tenant, sink: SmtpSink) -> str:
    for email in ACCOUNTS:
        await create_sink_account(tenant, sink, email, sending_gap=1)
    body = '<p>Hi {{firstName}}, see <a href="https://example.org/offer">the offer</a>.</p>'
    campaign = await create_campaign(
        tenant,
        campaign_schedule=schedule(),
        sequences=[
            {
                "steps": [
                    step(body, "Alpha {{firstName}}", "Beta {{firstName}}"),
                    step("<p>Again</p>", "Again"),
                ]
            }
        ],
        email_list=ACCOUNTS,
        open_tracking=True,
        link_tracking=True,
    )
    campaign_id = str(campaign["id"])
    await add_leads(
        tenant,
        campaign_id,
        [{"email": f"lead{n}@prospect.test", "first_name": f"L{n}"} for n in range(LEADS)],
    )
    await activate(tenant, campaign_id)
    engine = make_engine(app, start=START)

    async def all_delivered() -> bool:
        return len(sink.received) >= 2 * LEADS

    try:
        await engine.run_until(all_delivered, step=timedelta(hours=1), limit=timedelta(days=4))
    finally:
        await engine.close()
    assert len(sink.received) == 2 * LEADS
    return campaign_id


async def test_analytics_match_the_sink(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, override_settings: OverrideSettings
) -> None:
    override_settings(tracking_repeat_seconds=0)  # each second open counts as a repeat at once
    campaign_id = await run_campaign(app, tenant, smtp_sink)
    received = list(smtp_sink.received)
    first_steps = [item for item in received if step_variant(item)[0] == "0"]
    for item in first_steps[:3]:  # three leads open their first email twice each
        [pixel] = OPEN_URL.findall(html_of(item))
        for _ in range(2):
            assert (await tenant.client.get(path_of(pixel))).status_code == 200
    [click] = CLICK_URL.findall(html_of(first_steps[0]))
    assert (await tenant.client.get(path_of(click))).status_code in (302, 303, 307)

    response = await tenant.client.get("/api/v2/campaigns/analytics", params={"id": campaign_id})
    [analytics] = response.json()
    assert {key: analytics[key] for key in (
        "leads_count", "emails_sent_count", "contacted_count", "new_leads_contacted_count", "open_count",
        "open_count_unique_by_step", "link_click_count", "link_click_count_unique", "bounced_count",
        "completed_count",
    )} == {
        "leads_count": LEADS, "emails_sent_count": len(received), "contacted_count": LEADS,
        "new_leads_contacted_count": LEADS, "open_count": 3, "open_count_unique_by_step": 3,
        "link_click_count": 1, "link_click_count_unique": 1, "bounced_count": 0, "completed_count": LEADS,
    }  # fmt: skip
    overview = (await tenant.client.get("/api/v2/campaigns/analytics/overview")).json()
    assert (overview["open_count"], overview["emails_sent_count"]) == (6, len(received))

    steps = (
        await tenant.client.get("/api/v2/campaigns/analytics/steps", params={"campaign_id": campaign_id})
    ).json()
    assert {(row["step"], row["variant"]): row["sent"] for row in steps} == Counter(
        map(step_variant, received)
    )
    assert sum(row["opened"] for row in steps) == 6

    daily = (
        await tenant.client.get("/api/v2/campaigns/analytics/daily", params={"campaign_id": campaign_id})
    ).json()
    by_day = Counter(sent_at(item).date().isoformat() for item in received)
    assert {row["date"]: row["sent"] for row in daily if row["sent"]} == by_day

    response = await tenant.client.get(
        "/api/v2/accounts/analytics/daily",
        params={
            "start_date": START.date().isoformat(),
            "end_date": (START + timedelta(days=5)).date().isoformat(),
        },
    )
    per_account = Counter((sent_at(item).date().isoformat(), item.login) for item in received)
    assert {(row["date"], row["email_account"]): row["sent"] for row in response.json()} == per_account

    emails, _pages = await collect_pages(tenant.client, "/api/v2/emails", limit=5)
    by_message_id = {str(item.message["Message-ID"]): item for item in received}
    assert {email["message_id"] for email in emails} == set(by_message_id)
    for email in emails:
        item = by_message_id[email["message_id"]]
        assert (email["eaccount"], email["lead"]) == (item.login, item.rcpt_tos[0])
        assert email["step"] == step_variant(item)[0]
