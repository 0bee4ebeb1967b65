"""Acceptance: a one-time test from two accounts to six seeds at three simulated providers on the local
mail system. The seeds' provider checks SPF, DKIM and DMARC against the test DNS server and files or drops
copies by its Sieve rules; every copy's placement, passes and missing state are what the mailboxes show.
The reports list the loopback IP the local DNSBL zone lists, the refusing zone as not checked, and spamd's
own score and rules; the stats and insights equal the rows. The Google seeds are read through Gmail's IMAP
extension (X-GM-EXT-1), so the copy their provider put under a category tab has `has_category`."""

import logging
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.inbox_placement import authresults
from coldsend.mail.imap import Mailbox
from coldsend.models import PlacementCopy
from tests.conftest import OverrideSettings, Tenant
from tests.placement.gmail_imap import keyword
from tests.placement.seed_mail import SeedMailSystem
from tests.placement.spamd import Spamd
from tests.placement.world import (
    ACCOUNT_SEED,
    CATEGORIES,
    GMAIL_DOMAINS,
    SEED_BOXES,
    SENDERS,
    TESTS,
    Placement,
    build,
    make_loop,
    placement_world,
)

log = logging.getLogger(__name__)

ANALYTICS = "/api/v2/inbox-placement-analytics"
REPORTS = "/api/v2/inbox-placement-reports"
SUBJECT = "{{RANDOM | Quick idea | A quick idea}} for {{email}}"
BODY = "<p>Hi there,</p><p>would a short call next week work?</p><p>{{accountSignature}}</p>"
ESP = {"gseed.test": 1, "mseed.test": 2, "yseed.test": 101, "alpha.test": 1, "beta.test": 2}


async def run_until_done(tenant: Tenant, placement: Placement, test_id: str, *, limit: int = 120) -> None:
    for _ in range(limit):
        await placement.tick()
        test = (await tenant.client.get(f"{TESTS}/{test_id}")).json()
        if test["status"] == 3:
            return
    pytest.fail(f"the test was not completed after {limit} simulated minutes")


async def mailbox_truth(system: SeedMailSystem) -> dict[tuple[str, str], str]:
    """(sender, seed) -> the folder the mail system put the copy in, read back over IMAP."""
    found = {}
    for seed in SEED_BOXES:
        for folder in ("INBOX", "Junk"):
            for message in await system.folder(seed, folder):
                sender = parseaddr(str(message["From"]))[1].lower()
                if sender in SENDERS:
                    found[(sender, seed)] = folder
    return found


async def tabbed_truth(system: SeedMailSystem) -> set[tuple[str, str]]:
    """(sender, seed) of the copies the mail system put under a Gmail category tab, read back from Dovecot
    itself (not through the Gmail front) by the keyword its Sieve set."""
    tabbed = set()
    for seed in SEED_BOXES:
        if seed.split("@")[1] not in GMAIL_DOMAINS or seed == ACCOUNT_SEED:
            continue
        async with Mailbox(system.endpoint(seed)) as mailbox:
            await mailbox.select("INBOX")
            criteria = " ".join(f"KEYWORD {keyword(name)}" for _s, _r, name in CATEGORIES)
            uids = await mailbox.search(criteria)
            async for item in mailbox.fetch(uids, max_bytes=10**7):
                sender = parseaddr(str(authresults.headers_of(item.raw)["From"]))[1].lower()
                tabbed.add((sender, seed))
    return tabbed


async def raw_copy(system: SeedMailSystem, seed: str, sender: str) -> bytes:
    async with Mailbox(system.endpoint(seed)) as mailbox:
        for folder in ("INBOX", "Junk"):
            await mailbox.select(folder)
            for item in [item async for item in mailbox.fetch(await mailbox.search("ALL"), max_bytes=10**7)]:
                if f"<{sender}>".encode() in item.raw or f"From: {sender}".encode() in item.raw:
                    return item.raw
    raise AssertionError(f"no copy from {sender} in {seed}")


async def all_pages(tenant: Tenant, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        query = {**params, "limit": 5, **({"starting_after": after} if after else {})}
        response = await tenant.client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        after = page.get("next_starting_after")
        if not after:
            return items


async def test_one_time_placement(
    app: FastAPI,
    tenant: Tenant,
    spamd: Spamd,
    override_settings: OverrideSettings,
) -> None:
    with placement_world() as (server, system, keys):
        override_settings(dns_nameservers=[server.nameserver])
        await build(app, tenant, system, keys)
        options = (await tenant.client.get(f"{TESTS}/email-service-provider-options")).json()
        assert {(option["esp"], option["sub_region"], option["type"]) for option in options} == {
            ("Google", "US", "Professional"),
            ("Microsoft", "DE", "Professional"),
            ("Yahoo", "US", "Professional"),
            ("Yahoo", "US", "Personal"),
        }
        body = {
            "name": "Before launch",
            "type": 1,
            "sending_method": 1,
            "delivery_mode": 1,
            "email_subject": SUBJECT,
            "email_body": BODY,
            "emails": list(SENDERS),
        }
        response = await tenant.client.post(TESTS, json=body)
        assert response.status_code == 200, response.text
        test = response.json()
        assert sorted(test["recipients"]) == sorted(SEED_BOXES)
        placement = make_loop(app, server, spamd)
        try:
            await run_until_done(tenant, placement, test["id"])
        finally:
            await placement.loop.close()
        truth = await mailbox_truth(system)
        rows = await all_pages(tenant, ANALYTICS, test_id=test["id"])
        check_rows(rows, truth, await tabbed_truth(system))
        reports = await all_pages(tenant, REPORTS, test_id=test["id"])
        await check_reports(reports, system, spamd)
        await check_aggregates(tenant, test["id"], rows)
        sent = [item for item in system.sink.received if item.mail_from in SENDERS]
        assert len(sent) == len({item.message["Message-ID"] for item in sent}) == 12
        one_by_one = [item.rcpt_tos[0].split("@")[1] for item in sent]
        assert all(a != b for a, b in zip(one_by_one, one_by_one[1:], strict=False)), one_by_one
        async with session_scope(app.state.sessionmaker) as session:
            sent_at = await session.scalars(
                select(PlacementCopy.sent_at).where(PlacementCopy.test_id == uuid.UUID(test["id"]))
            )
            times = sorted(moment for moment in sent_at if moment is not None)
        assert len(times) == 12
        assert {later - earlier for earlier, later in zip(times, times[1:], strict=False)} == {
            timedelta(seconds=60)
        }  # a copy a minute (COLDSEND_PLACEMENT_ONE_BY_ONE_SECONDS in make_loop)


def check_rows(
    rows: list[dict[str, Any]], truth: dict[tuple[str, str], str], tabbed: set[tuple[str, str]]
) -> None:
    assert len(rows) == 12
    by_pair = {(row["sender_email"], row["recipient_email"]): row for row in rows}
    assert set(by_pair) == {(sender, seed) for sender in SENDERS for seed in SEED_BOXES}
    # What the provider's rules did, and what the mailboxes hold, are what the rows say.
    assert (by_pair[("bo@beta.test", "g2@gseed.test")]["record_type"]) == 1
    assert truth.get(("bo@beta.test", "g2@gseed.test")) is None
    for (sender, seed), row in by_pair.items():
        folder = truth.get((sender, seed))
        if folder is None:
            assert (row["record_type"], row["is_spam"]) == (1, None), row
            continue
        assert row["record_type"] == 2, row
        assert row["is_spam"] is (folder == "Junk"), (row, folder)
        if seed.split("@")[1] in GMAIL_DOMAINS:  # read through X-GM-EXT-1: the tab is known
            assert row["has_category"] is ((sender, seed) in tabbed), (row, tabbed)
        else:
            assert row["has_category"] is None, row  # no X-GM-EXT-1: not determined
        assert row["recipient_esp"] == ESP[seed.split("@")[1]]
        assert row["sender_esp"] == ESP[sender.split("@")[1]]
        assert (row["dkim_pass"], row["dmarc_pass"]) == (True, True), row
        if sender == "al@alpha.test":
            assert (row["spf_pass"], row["authentication_failure_results"]) == (True, None), row
        else:
            assert row["spf_pass"] is False, row
            assert "spf=fail" in row["authentication_failure_results"]["authentication_results"]
        assert row["smtp_ip_blacklist_report"]["ip"] == "127.0.0.1"
    assert tabbed == {("al@alpha.test", "g1@gseed.test")}
    junk = {pair for pair, folder in truth.items() if folder == "Junk"}
    assert junk == {
        ("bo@beta.test", "m1@mseed.test"),
        ("bo@beta.test", "m2@mseed.test"),
        ("al@alpha.test", "y1@yseed.test"),
        ("al@alpha.test", "y2@yseed.test"),
    }
    geo = {row["recipient_email"]: (row["recipient_geo"], row["recipient_type"]) for row in rows}
    assert [geo["m1@mseed.test"], geo["y2@yseed.test"], geo[ACCOUNT_SEED]] == [(3, 1), (1, 2), (1, 1)]


async def check_reports(reports: list[dict[str, Any]], system: SeedMailSystem, spamd: Spamd) -> None:
    assert sorted(report["domain"] for report in reports) == ["alpha.test", "beta.test"]
    for report in reports:
        assert report["domain_ip"] == "127.0.0.1"
        details = {
            (item["test_type"], item["blacklist"]): item for item in report["blacklist_report"]["details"]
        }
        assert details[("ip", "dnsbl.test")]["is_listed"] is True
        assert details[("ip", "dnsbl.test")]["checked"] is True
        assert details[("ip", "refused.test")] | {"answer": None} == details[("ip", "refused.test")] | {
            "answer": None,
            "is_listed": False,
            "checked": False,
        }
        assert (details[("ip", "clean.test")]["checked"], details[("ip", "clean.test")]["is_listed"]) == (
            True,
            False,
        )
        assert details[("ip", "zen.spamhaus.org")]["checked"] is False  # no DQS key: never queried
        assert report["domain_ip_blacklist_count"] == 1
        assert report["domain_blacklist_count"] == (1 if report["domain"] == "beta.test" else 0)
        # The copy scored is the first received one by seed address; spamd, asked directly, agrees.
        sender = "al@alpha.test" if report["domain"] == "alpha.test" else "bo@beta.test"
        score, rules = spamd.score(await raw_copy(system, "g1@gseed.test", sender))
        assert report["spam_assassin_score"] == pytest.approx(score, abs=0.05)
        assert report["spam_assassin_report"]["ran"] is True
        assert [rule["name"] for rule in report["spam_assassin_report"]["report"]] == rules
        assert all(rule["description"] and rule["score"] for rule in report["spam_assassin_report"]["report"])


def expected_counts(rows: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter(count=len(rows))
    for row in rows:
        if row["record_type"] == 2:
            counts["spam" if row["is_spam"] else "inbox"] += 1
            counts["category"] += int(bool(row["has_category"]) and not row["is_spam"])
        else:
            counts["missing"] += 1
    return counts


async def check_aggregates(tenant: Tenant, test_id: str, rows: list[dict[str, Any]]) -> None:
    counts = expected_counts(rows)
    [stats] = (await tenant.client.post(f"{ANALYTICS}/stats-by-test-id", json={"test_ids": [test_id]})).json()
    assert (stats["count"], stats["inbox_count"], stats["spam_count"], stats["missing_count"]) == (
        counts["count"],
        counts["inbox"],
        counts["spam"],
        counts["missing"],
    )
    assert stats["inbox_percent"] == round(100 * counts["inbox"] / counts["count"], 2)
    assert (stats["category_count"], stats["category_percent"]) == (
        counts["category"],
        round(100 * counts["category"] / counts["count"], 2),
    )
    assert counts["category"] == 1
    by_date = (await tenant.client.post(f"{ANALYTICS}/stats-by-date", json={"test_id": test_id})).json()
    assert [
        (day["sent_count"], day["received_count"], day["inbox_count"], day["spam_count"]) for day in by_date
    ] == [(12, counts["inbox"] + counts["spam"], counts["inbox"], counts["spam"])]
    insights = (
        await tenant.client.post(f"{ANALYTICS}/deliverability-insights", json={"test_id": test_id})
    ).json()
    pairs: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for row in rows:
        pairs[(row["sender_esp"], row["recipient_esp"])].update(expected_counts([row]))
    assert {(item["sender_esp"], item["recipient_esp"]) for item in insights} == set(pairs)
    for item in insights:
        found = pairs[(item["sender_esp"], item["recipient_esp"])]
        assert item["inbox_percentage"] == round(100 * found["inbox"] / found["count"], 2)
        assert item["spam_percentage"] == round(100 * found["spam"] / found["count"], 2)
        assert item["category_percentage"] == round(100 * found["category"] / found["count"], 2)
