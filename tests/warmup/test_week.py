"""Acceptance: 5 mailboxes on 3 domains warm up for 7 simulated days on a local mail system (SMTP into
Dovecot by LMTP, Sieve filing mail from gamma.test into Junk), while one of them also sends a campaign.

The daily volumes follow `increment` up to `limit` (`weekday_only` and the campaign honoured), nothing is
sent within a domain or outside the pool, spam copies are rescued and counted, replies thread, warmup mail
stays out of the Unibox and of campaign, account, reply and bounce handling, the warmup-analytics figures
equal what the Dovecot mailboxes hold, and a restart neither resets nor repeats the ramp.
"""

import logging
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.mail.imap import Mailbox
from coldsend.models import Account, Landing, WarmupKind, WarmupRamp, WarmupState
from coldsend.warmup import tokens
from tests.conftest import Tenant
from tests.factories import launch_campaign, step
from tests.warmup.mail_system import MailSystem, mail_system  # noqa: F401 (fixture)
from tests.warmup.world import (
    WarmupWorld,
    enable_warmup,
    make_world,
    pool_account,
    provider_dns,
    warmup_rows,
)

log = logging.getLogger(__name__)

DAYS = 7
STEP = timedelta(minutes=20)
RAMP = {"limit": 6, "increment": "2", "reply_rate": 0.5, "advanced": {"important_rate": 0.5}}
POOL: dict[str, dict[str, Any]] = {
    "ann@alpha.test": {**RAMP, "advanced": {"important_rate": 0.5, "weekday_only": True}},
    "al@alpha.test": RAMP,  # also sends the campaign
    "bea@beta.test": {**RAMP, "advanced": {"read_emulation": True}},
    "bo@beta.test": RAMP,
    "cy@gamma.test": {**RAMP, "warmup_custom_ftag": "maplewood"},  # lands in Junk (Sieve)
}
CAMPAIGNER = "al@alpha.test"
LEADS = ["l1@prospects.test", "l2@prospects.test", "l3@prospects.test"]
CAMPAIGN_SUBJECT = "A question about your roadmap"


def expected_volumes(first: date) -> dict[str, list[int]]:
    """Openers per account and day: 2, 4, 6, 6... (increment 2 up to limit 6); ann rests at weekends
    (her ramp waits for her), al sends at most 3 while his campaign is active."""
    days = [first + timedelta(days=n) for n in range(DAYS)]
    volumes: dict[str, list[int]] = {}
    for email in POOL:
        ramp_day, found = 0, []
        for day in days:
            if email == "ann@alpha.test" and day.weekday() >= 5:
                found.append(0)
                continue
            ramp_day += 1
            volume = min(6, 2 + 2 * (ramp_day - 1))
            found.append(min(volume, 3) if email == CAMPAIGNER else volume)
        volumes[email] = found
    return volumes


async def run_day(world: WarmupWorld, day_start: datetime, *, restart_at: time | None = None) -> None:
    clock = world.engine.clock
    clock.current = day_start
    moment = day_start.replace(hour=6, minute=50)
    while moment < day_start.replace(hour=23, minute=50):
        clock.current = moment
        if restart_at is not None and moment.time() >= restart_at:
            world.restart()
            restart_at = None
        await world.tick()
        moment += STEP if moment.hour < 21 else timedelta(hours=1)


def header_day(message: EmailMessage) -> str:
    return parsedate_to_datetime(str(message["Date"])).astimezone(UTC).date().isoformat()


async def dovecot_figures(system: MailSystem) -> dict[str, dict[str, dict[str, int]]]:
    """What the mailboxes hold: per address and day, warmup mail sent (found anywhere in the pool),
    received (in its own mailbox), and landed in spam or the inbox by the Sieve rule (From gamma.test)."""
    found: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"sent": 0, "received": 0, "landed_inbox": 0, "landed_spam": 0})
    )
    for mailbox in POOL:
        for folder in ("INBOX", "Junk", "Warmup"):
            for message in await system.folder(mailbox, folder):
                if message[tokens.HEADER] is None:
                    continue
                sender = str(message["From"]).split("<")[-1].rstrip(">").lower()
                day = header_day(message)
                found[sender][day]["sent"] += 1
                found[sender][day]["landed_spam" if sender.endswith("@gamma.test") else "landed_inbox"] += 1
                found[mailbox][day]["received"] += 1
    return found


@pytest.mark.usefixtures("mail_system")
async def test_a_week_of_warmup(
    app: FastAPI,
    tenant: Tenant,
    mail_system: MailSystem,  # noqa: F811
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="coldsend")
    system = mail_system
    for email, warmup in POOL.items():
        await pool_account(tenant, system, email, warmup=warmup)
    await enable_warmup(app, tenant, list(POOL), database_url, tmp_path)
    first = datetime.now(UTC).date()
    start = datetime.combine(first, time(0, 30), UTC)
    with provider_dns() as dns:
        world = make_world(app, dns, account_daily_ceiling=200)
        world.engine.clock.current = start
        # A follow-up a month later keeps the campaign active all week.
        steps = [
            step("Hi {{firstName}}, a short question.", CAMPAIGN_SUBJECT, delay=30),
            step("Any thoughts, {{firstName}}?", ""),
        ]
        leads = [{"email": lead} for lead in LEADS]
        campaign_id = await launch_campaign(tenant, [CAMPAIGNER], steps, leads)
        try:
            while await world.inbox.poll_due():
                pass
            for day in range(DAYS):
                restart = time(12) if day == 3 else None
                await run_day(world, start + timedelta(days=day), restart_at=restart)
                if day == 1:
                    await lead_replies(system)
            world.restart()  # once more, on the last day: nothing is planned twice
            await world.tick()
        finally:
            await world.close()

    rows = await warmup_rows(app, set(POOL))
    await check_volumes_and_pairs(system, rows, first)
    check_spam_rescue(rows)
    check_threads(system, rows)
    await check_ramps_kept(app)
    await check_outside_warmup(tenant, campaign_id)
    await check_analytics(tenant, system)
    report = await check_pool_report(tenant)
    log.info("pool report of the test pool: %s", report)
    check_no_token_shown(app, rows, caplog.text, report)


async def lead_replies(system: MailSystem) -> None:
    """A lead answers the campaign: delivered into the campaigner's mailbox like any mail."""
    [campaign_mail] = [item for item in system.sink.received if item.rcpt_tos == ["l1@prospects.test"]]
    reply = (
        "From: Lee <l1@prospects.test>\r\nTo: al@alpha.test\r\nSubject: Re: " + CAMPAIGN_SUBJECT + "\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@prospects.test>\r\n"
        f"In-Reply-To: {campaign_mail.message['Message-ID']}\r\n\r\nSure, call me tomorrow.\r\n"
    ).encode()
    async with Mailbox(system.endpoint(CAMPAIGNER)) as mailbox:
        await mailbox.append(reply, "INBOX")


async def check_volumes_and_pairs(system: MailSystem, rows: list[Any], first: date) -> None:
    openers = Counter((row.sender_email, row.day) for row in rows if row.kind == WarmupKind.OPENER)
    expected = expected_volumes(first)
    for email, volumes in expected.items():
        found = [openers[(email, first + timedelta(days=n))] for n in range(DAYS)]
        assert found == volumes, (email, found, volumes)
    assert {row.state for row in rows} == {WarmupState.SENT}
    pool = set(POOL)
    warmup_mail = [item for item in system.sink.received if item.message[tokens.HEADER] is not None]
    assert len(warmup_mail) == len(rows)
    for item in warmup_mail:
        [recipient] = item.rcpt_tos
        assert recipient in pool
        assert item.mail_from in pool
        assert recipient.split("@")[1] != item.mail_from.split("@")[1]
        assert item.message.get_content_type() == "text/plain"
        body = item.message.get_content()
        assert "http" not in body
        assert "<img" not in body
    others = [item for item in system.sink.received if item.message[tokens.HEADER] is None]
    assert {rcpt for item in others for rcpt in item.rcpt_tos} == set(LEADS)
    for row in rows:
        due = row.due_at.astimezone(UTC)
        assert not (due.second == 0 and due.minute % 5 == 0), due


def check_spam_rescue(rows: list[Any]) -> None:
    from_gamma = [row for row in rows if row.sender_email == "cy@gamma.test"]
    assert from_gamma
    assert {(row.landed, row.rescued) for row in from_gamma} == {(Landing.SPAM, True)}
    assert all(row.landed == Landing.INBOX and not row.rescued for row in rows if row not in from_gamma)
    assert all(row.filed_at is not None for row in rows)
    assert all("maplewood" in row.body for row in from_gamma)


def check_threads(system: MailSystem, rows: list[Any]) -> None:
    by_id = {row.id: row for row in rows}
    sent = {str(item.message["Message-ID"]): item.message for item in system.sink.received}
    replies = [row for row in rows if row.kind == WarmupKind.REPLY]
    assert replies
    for row in replies:
        parent = by_id[row.parent_id]
        message = sent[row.message_id]
        assert message["In-Reply-To"] == parent.message_id
        assert parent.message_id in str(message["References"]).split()
        assert message["Subject"] == f"Re: {parent.subject}"
        assert (row.sender_email, row.recipient_email) == (parent.recipient_email, parent.sender_email)


async def check_ramps_kept(app: FastAPI) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        ramps = {
            account.email: ramp
            for account, ramp in (
                await session.execute(
                    select(Account, WarmupRamp).join(WarmupRamp, WarmupRamp.account_id == Account.id)
                )
            ).tuples()
            if account.email in POOL
        }
    assert {email: ramp.days for email, ramp in ramps.items()} == {
        "ann@alpha.test": len([n for n in expected_volumes(datetime.now(UTC).date())["ann@alpha.test"] if n]),
        "al@alpha.test": DAYS,
        "bea@beta.test": DAYS,
        "bo@beta.test": DAYS,
        "cy@gamma.test": DAYS,
    }


async def check_outside_warmup(tenant: Tenant, campaign_id: str) -> None:
    emails = (await tenant.client.get("/api/v2/emails", params={"limit": 100})).json()["items"]
    assert sorted(item["subject"] for item in emails) == sorted(
        [CAMPAIGN_SUBJECT] * len(LEADS) + [f"Re: {CAMPAIGN_SUBJECT}"]
    )
    analytics = await tenant.client.get("/api/v2/campaigns/analytics", params={"id": campaign_id})
    [figures] = analytics.json()
    assert (figures["emails_sent_count"], figures["reply_count"], figures["bounced_count"]) == (3, 1, 0)
    daily = await tenant.client.get(
        "/api/v2/accounts/analytics/daily",
        params={"emails": list(POOL), "start_date": "2000-01-01", "end_date": "2000-01-31"},
    )
    assert daily.status_code == 200
    days = await tenant.client.get("/api/v2/accounts/analytics/daily", params={"emails": list(POOL)})
    assert sum(day["sent"] for day in days.json()) == 3
    assert {day["email_account"] for day in days.json()} <= {CAMPAIGNER}
    leads = (await tenant.client.post("/api/v2/leads/list", json={"campaign": campaign_id})).json()["items"]
    assert sorted(lead["email_reply_count"] for lead in leads) == [0, 0, 1]


async def check_analytics(tenant: Tenant, system: MailSystem) -> None:
    response = await tenant.client.post("/api/v2/accounts/warmup-analytics", json={"emails": list(POOL)})
    assert response.status_code == 200, response.text
    body = response.json()
    held = await dovecot_figures(system)
    for email in POOL:
        assert body["email_date_data"][email] == {day: dict(counts) for day, counts in held[email].items()}
        total = body["aggregate_data"][email]
        landed = total["landed_inbox"] + total["landed_spam"]
        assert total["sent"] == sum(day["sent"] for day in held[email].values()) == landed
        expected = round(100 * total["landed_inbox"] / landed)
        assert (total["health_score"], total["health_score_label"]) == (expected, f"{expected}%")
    assert body["aggregate_data"]["cy@gamma.test"]["health_score"] == 0
    assert body["aggregate_data"]["bo@beta.test"]["health_score"] == 100
    accounts = {item["email"]: item for item in (await tenant.client.get("/api/v2/accounts")).json()["items"]}
    for email in POOL:
        assert accounts[email]["stat_warmup_score"] == body["aggregate_data"][email]["health_score"]
        assert accounts[email]["timestamp_warmup_start"] is not None
        assert accounts[email]["warmup_status"] == 1


async def check_pool_report(tenant: Tenant) -> dict[str, Any]:
    response = await tenant.client.get("/api/v2/accounts/warmup/pool")
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    assert report["size"] == 5
    assert report["domains"] == {"alpha.test": 2, "beta.test": 2, "gamma.test": 1}
    assert report["providers"] == {"google": 2, "microsoft": 2, "other": 1}
    assert report["warnings"] == []
    assert "cannot create reputation" in report["limits"]
    for pair in report["pairs"]:
        first, second = pair["mailboxes"]
        assert first.split("@")[1] != second.split("@")[1]
        assert pair["met_7d"] > 0
    return report


def check_no_token_shown(app: FastAPI, rows: list[Any], logged: str, report: dict[str, Any]) -> None:
    settings = app.state.settings
    shown = logged + repr(report)
    for row in rows:
        assert tokens.make(settings, row.id) not in shown
