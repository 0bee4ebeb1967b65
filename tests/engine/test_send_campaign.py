"""Acceptance: a 3-step, 2-variant campaign from 3 accounts to 30 leads, in America/Chicago office hours,
over simulated days, against an SMTP sink with STARTTLS and AUTH."""

import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from coldsend.campaigns.diagnosis import OPEN
from coldsend.tracking.tokens import UNSUBSCRIBE_PATH
from tests.conftest import OverrideSettings, Tenant, client_for
from tests.engine.sending import (
    ca_settings,
    campaign_status,
    leads_of,
    local,
    make_engine,
    plain_text,
    sends_of,
    sent_at,
)
from tests.factories import (
    WEEKDAYS,
    activate,
    add_leads,
    create_campaign,
    create_sink_account,
    schedule,
    step,
)
from tests.smtp_sink import Received, SmtpSink

TZ = "America/Chicago"
ACCOUNTS = ["ava@out1.test", "ben@out2.test", "cy@out3.test"]
ACCOUNT_LIMIT = 25
CAMPAIGN_LIMIT = 24
GAP = timedelta(minutes=5)
LEADS = 30
BLOCKED_BEFORE, BLOCKED_AFTER, UNSUBSCRIBED = 7, 9, 11
SUBJECTS = ("Quick question, {{firstName}}", "{{firstName}}, an idea for {{companyName}}")


def lead_email(n: int) -> str:
    return f"lead{n}@prospect{n % 5}.test"


def next_monday_midnight(now: datetime) -> datetime:
    today = now.astimezone(ZoneInfo(TZ)).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(), ZoneInfo(TZ)).astimezone(UTC)


async def tag_account(tenant: Tenant, email: str) -> str:
    response = await tenant.client.post("/api/v2/custom-tags", json={"label": "Outbound"})
    assert response.status_code == 200, response.text
    tag_id = str(response.json()["id"])
    response = await tenant.client.post(
        "/api/v2/custom-tags/toggle-resource",
        json={"tag_ids": [tag_id], "resource_type": 1, "resource_ids": [email], "assign": True},
    )
    assert response.status_code == 200, response.text
    return tag_id


async def block(tenant: Tenant, address: str) -> None:
    response = await tenant.client.post("/api/v2/block-lists-entries", json={"bl_value": address})
    assert response.status_code == 200, response.text


async def test_campaign_runs_over_days_within_every_limit(
    app: FastAPI, tenant: Tenant, smtp_sink_starttls: SmtpSink, override_settings: OverrideSettings
) -> None:
    sink = smtp_sink_starttls
    override_settings(smtp_ca_file=sink.ca_path)  # the login check on create trusts the sink
    for email in ACCOUNTS:
        await create_sink_account(
            tenant, sink, email, daily_limit=ACCOUNT_LIMIT, sending_gap=5, signature="<b>Sig of {{x}}</b>"
        )
    tag_id = await tag_account(tenant, ACCOUNTS[2])
    window = schedule(TZ, "09:00", "17:00", WEEKDAYS)
    campaign = await create_campaign(
        tenant,
        campaign_schedule=window,
        sequences=[
            {
                "steps": [
                    step("{{RANDOM | Hi | Hello}} {{firstName}},<br/>We help {{industry}} teams.", *SUBJECTS),
                    step("Just checking in, {{firstName}}.", ""),
                    step("Closing the loop.", "Last note for {{companyName}}", delay=0),
                ]
            }
        ],
        email_list=ACCOUNTS[:2],
        email_tag_list=[tag_id],
        daily_limit=CAMPAIGN_LIMIT,
        random_wait_max=2,
        prioritize_new_leads=True,
        insert_unsubscribe_header=True,
        open_tracking=True,
    )
    campaign_id = campaign["id"]
    await add_leads(
        tenant,
        campaign_id,
        [
            {
                "email": lead_email(n),
                "first_name": f"Name{n}",
                "company_name": f"Company{n}",
                "custom_variables": {"industry": f"industry{n % 3}"},
            }
            for n in range(LEADS)
        ],
    )
    await block(tenant, lead_email(BLOCKED_BEFORE))
    await activate(tenant, campaign_id)

    engine = make_engine(app, start=next_monday_midnight(datetime.now(UTC)), **ca_settings(sink))
    contacted_first: set[str] = set()

    async def at_a_daily_limit() -> bool:
        """Nothing more goes out today: the campaign's limit or every account's is reached, and what was
        planned before it went out."""
        response = await tenant.client.get(f"/api/v2/campaigns/{campaign_id}")
        if response.json()["not_sending_status"] not in (3, 4):
            return False
        return all(send.state not in OPEN for send in await sends_of(app, campaign_id))

    async def first_steps_done() -> bool:
        contacted_first.update(item.rcpt_tos[0] for item in sink.received)
        return len(contacted_first) >= LEADS - 1

    try:
        await engine.run_until(
            first_steps_done, step=GAP, limit=timedelta(days=4), window=window, idle_today=at_a_daily_limit
        )
        # Mid-campaign: one lead gets blocked, another unsubscribes with the one-click link it received.
        await block(tenant, lead_email(BLOCKED_AFTER))
        [unsubscribe_mail] = [item for item in sink.received if item.rcpt_tos[0] == lead_email(UNSUBSCRIBED)]
        url = urlsplit(unsubscribe_mail.message["List-Unsubscribe"].strip("<>"))
        async with client_for(app) as anonymous:
            response = await anonymous.post(url.path, content=b"List-Unsubscribe=One-Click")
        assert response.status_code < 300, response.text

        async def completed() -> bool:
            return await campaign_status(tenant, campaign_id) == 3

        await engine.run_until(
            completed, step=GAP, limit=timedelta(days=10), window=window, idle_today=at_a_daily_limit
        )
    finally:
        await engine.close()

    sends = {send.message_id: send for send in await sends_of(app, campaign_id)}
    leads = await leads_of(tenant, campaign_id)
    email_of = {uuid.UUID(lead["id"]): address for address, lead in leads.items()}
    by_lead: dict[str, dict[int, Received]] = defaultdict(dict)
    for item in sink.received:
        send = sends[str(item.message["Message-ID"])]
        address = email_of[send.lead_id]
        assert item.rcpt_tos == [address]
        assert send.step not in by_lead[address], f"{address} got step {send.step} twice"
        by_lead[address][send.step] = item

    # Each lead got each step once, in order; blocked and unsubscribed leads got nothing more.
    expected = {lead_email(n): 3 for n in range(LEADS)}
    expected[lead_email(BLOCKED_BEFORE)] = 0
    expected[lead_email(BLOCKED_AFTER)] = 1
    expected[lead_email(UNSUBSCRIBED)] = 1
    assert {address: len(steps) for address, steps in by_lead.items()} == {
        address: count for address, count in expected.items() if count
    }
    assert len(sink.received) == sum(expected.values())
    for steps in by_lead.values():
        times = [sent_at(steps[number]) for number in sorted(steps)]
        assert times == sorted(times)

    # Inside the window; within daily limits; gaps respected.
    per_account_day: Counter[tuple[str, object]] = Counter()
    per_campaign_day: Counter[object] = Counter()
    per_account: dict[str, list[datetime]] = defaultdict(list)
    for item in sink.received:
        moment = sent_at(item)
        chicago = local(moment, TZ)
        assert chicago.isoweekday() <= 5, chicago
        assert time(9) <= chicago.time() < time(17), chicago
        assert item.login == item.mail_from == item.message["From"].addresses[0].addr_spec
        per_account_day[(item.login or "", moment.date())] += 1
        per_campaign_day[chicago.date()] += 1
        per_account[item.login or ""].append(moment)
    assert max(per_account_day.values()) <= ACCOUNT_LIMIT
    assert max(per_campaign_day.values()) <= CAMPAIGN_LIMIT
    assert max(per_campaign_day.values()) == CAMPAIGN_LIMIT  # the campaign limit was what held it back
    for times in per_account.values():
        times.sort()
        assert all(later - earlier >= GAP for earlier, later in zip(times, times[1:], strict=False))

    # Rotation: every account (the tagged one too) took first steps; follow-ups come from the same account.
    firsts = Counter(steps[0].login for steps in by_lead.values())
    assert set(firsts) == set(ACCOUNTS)
    assert max(firsts.values()) - min(firsts.values()) <= 2
    for steps in by_lead.values():
        assert {item.login for item in steps.values()} == {steps[0].login}

    # Variants spread evenly; rendering; threading; unsubscribe headers.
    variants = Counter(sends[str(steps[0].message["Message-ID"])].variant for steps in by_lead.values())
    assert set(variants) == {0, 1}
    assert abs(variants[0] - variants[1]) <= 1
    for address, steps in by_lead.items():
        n = int(address.split("@")[0].removeprefix("lead"))
        first = steps[0].message
        variant = sends[str(first["Message-ID"])].variant
        assert first["Subject"] == (f"Quick question, Name{n}", f"Name{n}, an idea for Company{n}")[variant]
        text = plain_text(first)
        assert f"Name{n}," in text
        assert f"industry{n % 3} teams" in text
        assert "{{" not in text
        assert text.split()[0] in ("Hi", "Hello")
        assert first["In-Reply-To"] is None
        for item in steps.values():
            assert item.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert urlsplit(item.message["List-Unsubscribe"].strip("<>")).path.startswith(UNSUBSCRIBE_PATH)
        if 1 in steps:
            second = steps[1].message
            assert second["Subject"] == f"Re: {first['Subject']}"
            assert second["In-Reply-To"] == first["Message-ID"]
            assert second["References"] == first["Message-ID"]
            assert "Just checking in, Name" in plain_text(second)
        if 2 in steps:
            third = steps[2].message
            assert third["Subject"] == f"Last note for Company{n}"
            assert third["In-Reply-To"] == steps[1].message["Message-ID"]
            assert third["References"].split() == [first["Message-ID"], steps[1].message["Message-ID"]]

    # Lead states as the API shows them, and the campaign completed.
    statuses = {address: lead["status"] for address, lead in leads.items()}
    assert statuses.pop(lead_email(BLOCKED_BEFORE)) == -3
    assert statuses.pop(lead_email(BLOCKED_AFTER)) == -3
    assert statuses.pop(lead_email(UNSUBSCRIBED)) == -2
    assert set(statuses.values()) == {3}
    sample = leads[lead_email(0)]
    assert sample["last_contacted_from"] == by_lead[lead_email(0)][2].login
    assert sample["status_summary"]["lastStep"]["from"] == "campaign"
