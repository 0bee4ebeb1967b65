"""The analytics rollups equal a recount from the events after a randomised run, and the endpoints answer
from them what counting the events answers.

Two campaigns run in the engine to the SMTP sink; then, in a seeded random order, leads open and click
(the tracking URLs in the delivered mail), unsubscribe, reply, bounce hard or soft and complain (recorded
by events.record on the real send rows, on days spread over a week), change interest, are deleted, and a
subsequence and a campaign are deleted through the API.
"""

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, text

from coldsend.analytics import folding, rollups
from coldsend.analytics.rollup_sql import DAY_KEYS
from coldsend.db.session import session_scope
from coldsend.events import event_row, record
from coldsend.models import Send
from coldsend.models.event import EventType
from tests.analytics.test_engine_history import CLICK_URL, OPEN_URL, html_of, path_of
from tests.conftest import Tenant
from tests.engine.sending import make_engine
from tests.factories import (
    activate,
    add_leads,
    create_campaign,
    create_sink_account,
    create_subsequence,
    id_of,
    schedule,
    step,
)
from tests.smtp_sink import SmtpSink

ACCOUNTS = ["ann@out1.test", "bo@out2.test"]
START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
LEADS = 6
ROLLUPS = {
    "analytics_day": ("total", "row_count", "leads", "firsts"),
    "analytics_span": ("leads",),
    "analytics_step_day": ("total", "row_count"),
    "analytics_account_day": ("total", "row_count", "leads"),
    "analytics_lead_tally": ("leads",),
}
ENDPOINTS = [
    "/api/v2/campaigns/analytics",
    "/api/v2/campaigns/analytics/overview",
    "/api/v2/campaigns/analytics/daily",
    "/api/v2/campaigns/analytics/steps?include_opportunities_count=true",
]


async def snapshot(app: FastAPI) -> dict[str, set[tuple[Any, ...]]]:
    """Every rollup key with a non-zero counter, and its counters: a day rollup's summed over its stripes
    (which writers choose by connection), the lead tally's per stripe (by the lead)."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    async with session_scope(app.state.sessionmaker) as session:
        for table, counters in ROLLUPS.items():
            sums: dict[tuple[Any, ...], list[int]] = {}
            summed_over = {"stripe", *counters} if table in DAY_KEYS else set(counters)
            for row in (await session.execute(text(f"SELECT * FROM {table}"))).mappings():
                key = tuple(
                    sorted((name, str(value)) for name, value in row.items() if name not in summed_over)
                )
                before = sums.get(key, [0] * len(counters))
                sums[key] = [kept + row[name] for kept, name in zip(before, counters, strict=True)]
            found[table] = {(*key, *values) for key, values in sums.items() if any(values)}
    return found


async def striped_rows(app: FastAPI) -> int:
    async with session_scope(app.state.sessionmaker) as session:
        counts = [
            await session.scalar(text(f"SELECT count(*) FROM {table} WHERE stripe <> 0"))
            for table in DAY_KEYS
        ]
    return sum(count or 0 for count in counts)


async def run_campaigns(app: FastAPI, tenant: Tenant, sink: SmtpSink) -> list[str]:
    for email in ACCOUNTS:
        await create_sink_account(tenant, sink, email, sending_gap=1)
    body = '<p>Hi {{firstName}}, see <a href="https://example.org/offer">the offer</a>.</p>'
    campaigns = []
    for name in ("One", "Two"):
        campaign = await create_campaign(
            tenant,
            name,
            campaign_schedule=schedule(),
            sequences=[
                {"steps": [step(body, "Alpha {{firstName}}", "Beta {{firstName}}"), step(body, "Again")]}
            ],
            email_list=ACCOUNTS,
            open_tracking=True,
            link_tracking=True,
        )
        campaigns.append(str(campaign["id"]))
        leads = [{"email": f"{name}{n}@prospect.test", "first_name": f"L{n}"} for n in range(LEADS)]
        await add_leads(tenant, campaigns[-1], leads)
        await activate(tenant, campaigns[-1])
    engine = make_engine(app, start=START)

    async def all_delivered() -> bool:
        return len(sink.received) >= 2 * 2 * LEADS

    try:
        await engine.run_until(all_delivered, step=timedelta(hours=1), limit=timedelta(days=4))
    finally:
        await engine.close()
    return campaigns


async def record_random(app: FastAPI, rng: random.Random, kinds: list[str]) -> None:
    """One to four events on random delivered sends, each on a random day of the week after START, in
    one statement (as the sender records a batch): often two of one lead, whose distinct days must come
    out as if they had been recorded one by one."""
    async with session_scope(app.state.sessionmaker) as session:
        sends = list(
            await session.scalars(select(Send).where(Send.message_id.is_not(None)).order_by(Send.id))
        )
        if not sends:
            return
        rows, keys = [], set()
        for _ in range(rng.randrange(1, 5)):
            send, kind = rng.choice(sends), rng.choice(kinds)
            if (send.id, kind) in keys:
                continue
            keys.add((send.id, kind))
            when = START + timedelta(days=rng.randrange(7), seconds=rng.randrange(1, 86_000))
            severity = rng.choice([None, "hard", "soft"]) if kind == EventType.BOUNCED else None
            rows.append(event_row(send, kind, timestamp=when, severity=severity))
        await record(session, rows)


async def answers(tenant: Tenant, campaigns: list[str], *, whole_days: bool) -> list[Any]:
    """Each endpoint over ranges of whole days (the rollups) or the same ranges given as timestamps
    (the events): [s, e) as s + 1 µs (no event falls on a midnight here) to e - 1 µs, included."""
    ranges: list[dict[str, str]] = [{}]
    for start, end in ((0, 7), (1, 3), (2, 2), (None, 1)):
        first = (START + timedelta(days=start)).date() if start is not None else None
        last = (START + timedelta(days=end)).date()
        if whole_days:
            ranges.append(
                {"end_date": last.isoformat(), **({"start_date": first.isoformat()} if first else {})}
            )
        else:
            shown = {"end_date": f"{last.isoformat()}T23:59:59.999999Z"}
            if first:
                shown["start_date"] = f"{first.isoformat()}T00:00:00.000001Z"
            ranges.append(shown)
    found = []
    for path in ENDPOINTS:
        for params in ranges:
            for campaign in (None, *campaigns):
                chosen = {**params, **({"campaign_id": campaign, "id": campaign} if campaign else {})}
                response = await tenant.client.get(path, params=chosen)
                found.append((path, campaign, response.status_code, response.json()))
    return found


async def test_rollups_equal_a_recount(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink, backend: str
) -> None:
    rng = random.Random(21)
    campaigns = await run_campaigns(app, tenant, smtp_sink)
    subsequence = id_of(await create_subsequence(tenant, campaigns[0], "Later"))
    received = list(smtp_sink.received)
    leads = (await tenant.client.post("/api/v2/leads/list", json={"limit": 100})).json()["items"]
    kinds = [EventType.REPLIED, EventType.AUTO_REPLIED, EventType.BOUNCED, EventType.SOFT_BOUNCED]
    kinds += [EventType.COMPLAINED, EventType.UNSUBSCRIBED, EventType.OPENED, EventType.CLICKED]
    for _ in range(60):
        action = rng.randrange(10)
        item = rng.choice(received)
        if action < 3:
            [pixel] = OPEN_URL.findall(html_of(item))
            await tenant.client.get(path_of(pixel))
        elif action < 4:
            for click in CLICK_URL.findall(html_of(item)):
                await tenant.client.get(path_of(click))
        elif action < 8:
            await record_random(app, rng, kinds)
        elif action < 9 and leads:
            lead = rng.choice(leads)
            interest = rng.choice([1, 2, 3, 4, -1, 0])
            await tenant.client.patch(f"/api/v2/leads/{lead['id']}", json={"lt_interest_status": interest})
        elif leads:
            lead = leads.pop(rng.randrange(len(leads)))
            assert (await tenant.client.delete(f"/api/v2/leads/{lead['id']}")).status_code == 200
    assert re.match(r"[0-9a-f-]{36}", str(subsequence))
    assert (await tenant.client.delete(f"/api/v2/subsequences/{subsequence}")).status_code == 200

    kept = await snapshot(app)
    rollup_answers = await answers(tenant, campaigns, whole_days=True)
    assert rollup_answers == await answers(tenant, campaigns, whole_days=False)

    # On PostgreSQL, writers counted into their connections' stripes; the fold settles them, sums unchanged.
    striped = await striped_rows(app)
    assert (striped > 0) == (backend == "postgresql")
    async with session_scope(app.state.sessionmaker) as session:
        settled = await folding.fold_stripes(session, before=START.date() + timedelta(days=8))
    assert (settled > 0) == (backend == "postgresql")
    assert await striped_rows(app) == 0
    assert kept == await snapshot(app)

    async with session_scope(app.state.sessionmaker) as session:
        await rollups.rebuild(session, tenant.workspace_id)
    assert kept == await snapshot(app)

    assert (await tenant.client.delete(f"/api/v2/campaigns/{campaigns[1]}")).status_code == 200
    kept = await snapshot(app)
    async with session_scope(app.state.sessionmaker) as session:
        await rollups.rebuild(session, tenant.workspace_id)
    assert kept == await snapshot(app)
    assert await answers(tenant, campaigns[:1], whole_days=True) == await answers(
        tenant, campaigns[:1], whole_days=False
    )
