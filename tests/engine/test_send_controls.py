"""What stops or redirects sending: pausing a campaign or an account, subsequences, text-only copy."""

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import campaign_status, leads_of, make_engine, real_now, sent_at
from tests.factories import activate, add_leads, create_campaign, create_sink_account, schedule, step
from tests.smtp_sink import SmtpSink


async def simple_campaign(tenant: Tenant, accounts: list[str], leads: int, **options: Any) -> str:
    options.setdefault("campaign_schedule", schedule())
    campaign = await create_campaign(
        tenant,
        sequences=[{"steps": [step("Hello {{firstName}}", "Hi {{firstName}}", delay=1, unit="hours")]}],
        email_list=accounts,
        **options,
    )
    await add_leads(
        tenant, campaign["id"], [{"email": f"c{n}@leads.test", "first_name": f"C{n}"} for n in range(leads)]
    )
    return str(campaign["id"])


async def test_paused_campaign_and_paused_account_send_nothing(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "on@out.test", daily_limit=100, sending_gap=10)
    await create_sink_account(tenant, smtp_sink, "off@out.test", daily_limit=100, sending_gap=10)
    campaign_id = await simple_campaign(tenant, ["on@out.test", "off@out.test"], 6)
    await activate(tenant, campaign_id)
    engine = make_engine(app)
    try:
        await engine.run()
        assert len(smtp_sink.received) == 2  # one per account, then the 10-minute gap
        response = await tenant.client.post("/api/v2/accounts/off@out.test/pause")
        assert response.status_code == 200, response.text
        await engine.advance(timedelta(minutes=10))
        assert [item.login for item in smtp_sink.received[2:]] == ["on@out.test"]

        response = await tenant.client.post(f"/api/v2/campaigns/{campaign_id}/pause")
        assert response.status_code == 200, response.text
        await engine.advance(timedelta(hours=2))
        assert len(smtp_sink.received) == 3

        await activate(tenant, campaign_id)
        for _ in range(3):
            await engine.advance(timedelta(minutes=10))
    finally:
        await engine.close()
    assert len(smtp_sink.received) == 6
    assert {item.login for item in smtp_sink.received[2:]} == {"on@out.test"}
    assert len({item.rcpt_tos[0] for item in smtp_sink.received}) == 6
    assert await campaign_status(tenant, campaign_id) == 3


async def test_text_only_and_cc_bcc(app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink) -> None:
    await create_sink_account(tenant, smtp_sink, "txt@out.test", daily_limit=100, sending_gap=0)
    campaign_id = await simple_campaign(
        tenant, ["txt@out.test"], 1, text_only=True, cc_list=["boss@out.test"], bcc_list=["log@out.test"]
    )
    await activate(tenant, campaign_id)
    engine = make_engine(app)
    try:
        await engine.run()
    finally:
        await engine.close()
    [item] = smtp_sink.received
    assert item.rcpt_tos == ["c0@leads.test", "boss@out.test", "log@out.test"]
    assert item.message.get_content_type() == "text/plain"
    assert item.message["Cc"] == "boss@out.test"
    assert item.message["Bcc"] is None
    assert item.message.get_content().strip() == "Hello C0"


async def test_subsequence_sends_its_steps_after_its_pre_delay(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "sub@out.test", daily_limit=100, sending_gap=0)
    # The pre-delay counts from the move below, stamped with the real time, so the clock starts at the
    # real time too; late in the UTC day the window is Taipei's (UTC+8), so the three hours simulated
    # stay inside it.
    timezone = "Africa/Abidjan" if datetime.now(UTC).hour < 20 else "Asia/Taipei"
    campaign_id = await simple_campaign(
        tenant, ["sub@out.test"], 3, campaign_schedule=schedule(timezone=timezone)
    )
    response = await tenant.client.post(
        "/api/v2/subsequences",
        json={
            "parent_campaign": campaign_id,
            "name": "Nurture",
            "conditions": {"lead_activity": [2]},
            "sequences": [
                {
                    "steps": [
                        {
                            **step("Nurture one", "Nurture for {{firstName}}", delay=1, unit="hours"),
                            "pre_delay": 2,
                            "pre_delay_unit": "hours",
                        },
                        step("Nurture two", ""),
                    ]
                }
            ],
        },
    )
    assert response.status_code == 200, response.text
    subsequence_id = response.json()["id"]
    response = await tenant.client.post(f"/api/v2/subsequences/{subsequence_id}/resume")
    assert response.status_code == 200, response.text
    leads = await leads_of(tenant, campaign_id)
    response = await tenant.client.post(
        "/api/v2/leads/subsequence/move",
        json={"id": leads["c2@leads.test"]["id"], "subsequence_id": subsequence_id},
    )
    assert response.status_code == 200, response.text
    await activate(tenant, campaign_id)
    engine = make_engine(app, start=real_now())
    try:
        await engine.run()
        assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == ["c0@leads.test", "c1@leads.test"]
        assert await campaign_status(tenant, campaign_id) == 4  # running subsequences
        await engine.advance(timedelta(hours=1, minutes=50))
        assert len(smtp_sink.received) == 2
        await engine.advance(timedelta(minutes=11))
        [first] = smtp_sink.received[2:]
        assert first.message["Subject"] == "Nurture for C2"
        await engine.advance(timedelta(hours=1))
    finally:
        await engine.close()
    [_, second] = smtp_sink.received[2:]
    assert second.message["Subject"] == "Re: Nurture for C2"
    assert second.message["In-Reply-To"] == first.message["Message-ID"]
    assert await campaign_status(tenant, campaign_id) == 3
    assert (await leads_of(tenant, campaign_id))["c2@leads.test"]["status"] == 3


async def test_slow_ramp_and_daily_max_leads(app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink) -> None:
    await create_sink_account(
        tenant, smtp_sink, "ramp@out.test", daily_limit=50, sending_gap=0, enable_slow_ramp=True
    )
    await create_sink_account(tenant, smtp_sink, "flat@out.test", daily_limit=50, sending_gap=0)
    ramp_campaign = await simple_campaign(tenant, ["ramp@out.test"], 30)
    capped_campaign = await simple_campaign(tenant, ["flat@out.test"], 30, daily_max_leads=7)
    await activate(tenant, ramp_campaign)
    await activate(tenant, capped_campaign)
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(0, 30), UTC)
    engine = make_engine(app, start=start)
    try:
        for _ in range(3):
            await engine.run()
            await engine.advance(timedelta(days=1))
    finally:
        await engine.close()
    per_day = Counter((item.login, sent_at(item).date()) for item in smtp_sink.received)
    days = [(start + timedelta(days=n)).date() for n in range(3)]
    assert [per_day[("ramp@out.test", day)] for day in days] == [5, 10, 15]  # the ramp
    assert [per_day[("flat@out.test", day)] for day in days] == [7, 7, 7]  # new leads per day


async def test_campaign_email_gap_spaces_its_own_emails_only(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "shared@out.test", daily_limit=100, sending_gap=0)
    spaced = await create_campaign(
        tenant,
        campaign_schedule=schedule(),
        sequences=[{"steps": [step("Hello", "Spaced", delay=1, unit="hours")]}],
        email_list=["shared@out.test"],
        email_gap=20,
    )
    await add_leads(tenant, spaced["id"], [{"email": f"s{n}@leads.test"} for n in range(4)])
    eager = await simple_campaign(tenant, ["shared@out.test"], 3)
    for campaign_id in (spaced["id"], eager):
        await activate(tenant, campaign_id)
    engine = make_engine(app)
    try:
        for _ in range(20):
            await engine.advance(timedelta(minutes=5))
    finally:
        await engine.close()
    by_subject: dict[str, list[datetime]] = {}
    for item in smtp_sink.received:
        by_subject.setdefault(str(item.message["Subject"]), []).append(sent_at(item))
    spaced_times = sorted(by_subject["Spaced"])
    assert len(spaced_times) == 4
    assert all(later - earlier >= timedelta(minutes=20) for earlier, later in pairwise(spaced_times))
    eager_times = sorted(
        time for subject, times in by_subject.items() if subject != "Spaced" for time in times
    )
    assert len(eager_times) == 3
    assert eager_times[-1] - eager_times[0] < timedelta(minutes=20)
