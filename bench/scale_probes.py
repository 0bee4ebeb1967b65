"""The measurements of bench/scale.py, each with the bare SQL it is compared to."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from http_load import LoadClient
from scale_world import SEARCH_TERM, World

from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import create_engine, create_sessionmaker
from coldsend.engine.scheduler import Scheduler
from coldsend.engine.serial import EngineLock
from coldsend.tracking import tokens

LIST_LIMIT = 100
PAGES = 50
REPEATS = 10
BUDGET_SECONDS = 20.0  # per figure: repeats stop once past it (at least 2 samples)
WALKS = 2
TRACKING_RATE = 200.0
TRACKING_SECONDS = 3.0
WARMUP_SECONDS = 1.0
WARMUP = "warmup"


@dataclass
class Figure:
    """Latencies in ms of one operation, and of its bare SQL."""

    times: list[float]
    bare: list[float]
    note: str = ""

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return self.pct(self.times, 0.5)

    @property
    def p95(self) -> float:
        return self.pct(self.times, 0.95)


async def _timed(call: Awaitable[Any]) -> tuple[float, Any]:
    """`call` (a coroutine not yet started) awaited: the milliseconds it took, and its result."""
    started = time.perf_counter()
    result = await call
    return (time.perf_counter() - started) * 1000, result


def _repeats(times: list[float]) -> Iterator[int]:
    """Up to REPEATS more samples, fewer once `times` (ms) add up to BUDGET_SECONDS (at least 2 in all)."""
    for count in range(REPEATS):
        if len(times) >= 2 and sum(times) > BUDGET_SECONDS * 1000:
            return
        yield count


# --- lead list -------------------------------------------------------------------------------------

_LEAD_SQL = (
    "SELECT * FROM lead WHERE workspace_id = $1 AND campaign_id = $2 AND timestamp_last_contact IS NOT NULL"
    " AND (lower(email) LIKE $3 OR lower(first_name) LIKE $3 OR lower(last_name) LIKE $3)"
    " AND ($4::uuid IS NULL OR id > $4) ORDER BY id LIMIT $5"
)
_DISTINCT_SQL = (
    "SELECT DISTINCT ON (email) * FROM lead WHERE workspace_id = $1 AND email IS NOT NULL"
    " AND ($2::text IS NULL OR email > $2) ORDER BY email, id LIMIT $3"
)


async def lead_list(client: httpx.AsyncClient, conn: asyncpg.Connection, world: World) -> dict[str, Figure]:
    """POST /leads/list in the largest campaign, contacted leads, searching a common word: the first page,
    every page to the 50th by cursor; the same for distinct_contacts over the workspace."""
    body: dict[str, Any] = {
        "campaign": str(world.campaign_ids[0]),
        "filter": "FILTER_VAL_CONTACTED",
        "search": SEARCH_TERM,
        "limit": LIST_LIMIT,
    }
    figures = {}
    for name, query, bare_sql, bare_args in (
        (
            "lead list",
            body,
            _LEAD_SQL,
            (world.workspace_id, world.campaign_ids[0], f"%{SEARCH_TERM}%"),
        ),
        (
            "distinct_contacts",
            {"distinct_contacts": True, "limit": LIST_LIMIT},
            _DISTINCT_SQL,
            (world.workspace_id,),
        ),
    ):
        first, first_bare, pages, pages_bare, last, last_bare = [], [], [], [], [], []
        reached = 0
        for _ in range(WALKS):
            cursor: str | None = None
            for page in range(PAGES):
                payload = {**query, **({"starting_after": cursor} if cursor else {})}
                elapsed, response = await _timed(client.post("/api/v2/leads/list", json=payload))
                assert response.status_code == 200, response.text
                bare_cursor: Any = cursor
                if cursor and name == "lead list":
                    bare_cursor = uuid.UUID(cursor)
                sql_ms, _ = await _timed(conn.fetch(bare_sql, *bare_args, bare_cursor, LIST_LIMIT + 1))
                pages.append(elapsed)
                pages_bare.append(sql_ms)
                reached = page + 1
                cursor = response.json().get("next_starting_after")
                if page == 0:
                    first.append(elapsed)
                    first_bare.append(sql_ms)
                if cursor is None or page == PAGES - 1:
                    last.append(elapsed)
                    last_bare.append(sql_ms)
                    break
        for _ in _repeats(first):
            elapsed, response = await _timed(client.post("/api/v2/leads/list", json=query))
            first.append(elapsed)
            first_bare.append((await _timed(conn.fetch(bare_sql, *bare_args, None, LIST_LIMIT + 1)))[0])
        figures[f"{name}, page 1"] = Figure(first, first_bare)
        figures[f"{name}, page {reached}"] = Figure(last, last_bare)
        figures[f"{name}, every page 1-{reached}"] = Figure(pages, pages_bare)
    return figures


# --- analytics -------------------------------------------------------------------------------------


def _analytics_calls(world: World) -> list[tuple[str, str, str, dict[str, Any] | None, str]]:
    """(label, method, path, body, bare SQL) per endpoint and window."""
    calls: list[tuple[str, str, str, dict[str, Any] | None, str]] = []
    for days in (30, 90):
        start = (world.today - timedelta(days=days)).date().isoformat()
        end = world.today.date().isoformat()
        window = f"start_date={start}&end_date={end}"
        since = f"timestamp >= '{start}'"
        grouped = f"FROM event WHERE workspace_id = $1 AND {since}"
        calls += [
            (
                f"campaign analytics {days}d",
                "GET",
                f"/api/v2/campaigns/analytics?{window}",
                None,
                f"SELECT campaign_id, type, count(*), count(DISTINCT lead_id) {grouped} GROUP BY 1, 2",
            ),
            (
                f"overview {days}d",
                "GET",
                f"/api/v2/campaigns/analytics/overview?{window}",
                None,
                f"SELECT type, count(*), count(DISTINCT lead_id) {grouped} GROUP BY 1",
            ),
            (
                f"daily {days}d",
                "GET",
                f"/api/v2/campaigns/analytics/daily?{window}",
                None,
                f"SELECT timestamp::date, type, count(*) {grouped} GROUP BY 1, 2",
            ),
            (
                f"steps {days}d",
                "GET",
                f"/api/v2/campaigns/analytics/steps?campaign_id={world.campaign_ids[0]}&{window}",
                None,
                f"SELECT step, variant, type, count(*) {grouped} AND campaign_id = '{world.campaign_ids[0]}'"
                " GROUP BY 1, 2, 3",
            ),
        ]
    start = (world.today - timedelta(days=30)).date().isoformat()
    calls += [
        (
            "account daily 30d",
            "GET",
            f"/api/v2/accounts/analytics/daily?start_date={start}",
            None,
            "SELECT account_email, timestamp::date, type, count(*) FROM event WHERE workspace_id = $1"
            f" AND timestamp >= '{start}' GROUP BY 1, 2, 3",
        ),
        (
            "warmup analytics",
            "POST",
            "/api/v2/accounts/warmup-analytics",
            {"emails": world.account_emails},
            "SELECT sender_id, state, count(*) FROM warmup_message WHERE $1::uuid IS NOT NULL GROUP BY 1, 2",
        ),
    ]
    return calls


async def analytics(client: httpx.AsyncClient, conn: asyncpg.Connection, world: World) -> dict[str, Figure]:
    figures = {}
    for label, method, path, body, sql in _analytics_calls(world):
        times: list[float] = []
        bare: list[float] = []
        for _ in _repeats(times):
            elapsed, response = await _timed(client.request(method, path, json=body))
            assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
            times.append(elapsed)
            bare.append((await _timed(conn.fetch(sql, world.workspace_id)))[0])
        figures[label] = Figure(times, bare)
    return figures


# --- scheduler tick --------------------------------------------------------------------------------


def quotas(world: World, due: int) -> list[int]:
    """Each campaign's daily limit so that the tick plans about `due` sends in all (by campaign size)."""
    total = sum(world.campaign_sizes)
    return [max(1, round(due * size / total)) for size in world.campaign_sizes]


async def set_quotas(conn: asyncpg.Connection, world: World, due: int) -> None:
    await conn.executemany(
        "UPDATE campaign SET daily_limit = $2, not_sending_status = NULL WHERE id = $1",
        list(zip(world.campaign_ids, quotas(world, due), strict=True)),
    )


_BARE_TICK = """
INSERT INTO send (id, timestamp_created, timestamp_updated, workspace_id, campaign_id, sequence_id, lead_id,
                  step, variant, account_email, message_id, state, due_at, attempts, soft_bounces)
SELECT gen_random_uuid(), now(), now(), l.workspace_id, l.campaign_id, l.campaign_id, l.id, 0, 0,
       'bare@bench.test', gen_random_uuid()::text, 'scheduled', now(), 0, 0
FROM unnest($1::uuid[], $2::int[]) AS q(campaign_id, quota)
CROSS JOIN LATERAL (
    SELECT lead.* FROM lead
    WHERE lead.campaign_id = q.campaign_id AND lead.status = 1 AND lead.subsequence_id IS NULL
      AND lead.email_reply_count = 0
      AND NOT EXISTS (SELECT 1 FROM send WHERE send.sequence_id = q.campaign_id AND send.lead_id = lead.id)
    ORDER BY lead.timestamp_created, lead.id LIMIT q.quota
) AS l
"""


async def tick(settings: Settings, conn: asyncpg.Connection, world: World, due: int) -> tuple[Figure, int]:
    """Scheduler ticks planning about `due` sends each, the planned rows deleted after each: the first
    of a new scheduler (its connection new, what it reads maybe not in memory), noted apart, then up to 3
    more, the figure. The bare SQL: one INSERT ... SELECT of as many first steps, rolled back."""
    await set_quotas(conn, world, due)
    engine = create_engine(settings.effective_database_url())
    scheduler = Scheduler(
        settings, create_sessionmaker(engine), Clock(), EngineLock(settings.database_url or "")
    )
    times: list[float] = []
    bare: list[float] = []
    planned = 0
    first: float | None = None
    try:
        for _ in range(4):
            if len(times) >= 2 and sum(times) > BUDGET_SECONDS * 1000:
                break
            elapsed, planned = await _timed(scheduler.tick())
            if first is None:
                first = elapsed
            else:
                times.append(elapsed)
            await conn.execute("DELETE FROM send WHERE state = 'scheduled'")
            transaction = conn.transaction()
            await transaction.start()
            started = time.perf_counter()
            await conn.execute(_BARE_TICK, world.campaign_ids, quotas(world, due))
            bare.append((time.perf_counter() - started) * 1000)
            await transaction.rollback()
            await conn.execute("DELETE FROM send WHERE state = 'scheduled'")
    finally:
        await engine.dispose()
    # The bare SQL after the first tick too: the same runs as the figure's.
    return Figure(times, bare[1:], note=f"planned {planned}; first tick {first:.0f} ms"), planned


# --- tracking --------------------------------------------------------------------------------------


def tracking_urls(settings: Settings, world: World, base: str) -> dict[str, list[str]]:
    sample = world.sent_sends
    third = len(sample) // 3
    count = int(TRACKING_RATE * TRACKING_SECONDS)
    opens = [tokens.open_url(settings, send_id, base_url=base) for send_id, _ in sample[:third][:count]]
    clicks = [
        tokens.click_url(settings, send_id, "https://example.com/pricing", base_url=base)
        for send_id, _ in sample[third : 2 * third][:count]
    ]
    unsubscribes = [
        tokens.unsubscribe_url(settings, send_id, base_url=base) for send_id, _ in sample[2 * third :][:count]
    ]
    # Opens of other sends first, not measured: the API's connections are opened (and PostgreSQL compiles
    # the rollup triggers on each) during them, not during the first of the measured requests.
    warmup = [
        tokens.open_url(settings, send_id, base_url=base)
        for send_id, _ in sample[:third][count : count + int(TRACKING_RATE * WARMUP_SECONDS)]
    ]
    return {WARMUP: warmup, "open": opens, "click": clicks, "unsubscribe": unsubscribes}


async def client_main(url_file: Path) -> None:
    """The tracking client, in its own process: each kind at a fixed rate; latencies (ms) as JSON."""
    urls: dict[str, list[str]] = json.loads(url_file.read_text())
    results: dict[str, list[float]] = {}
    failures: dict[str, int] = {}
    client = LoadClient(next(iter(urls.values()))[0])
    try:
        for kind, todo in urls.items():
            latencies: list[float] = []

            async def one(url: str, at: float, kind: str = kind, latencies: list[float] = latencies) -> None:
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                started = time.perf_counter()
                try:
                    if kind == "unsubscribe":
                        status = await client.request("POST", url, "List-Unsubscribe=One-Click")
                    else:
                        status = await client.request("GET", url)
                    ok = status in (200, 302)
                except (OSError, ValueError, asyncio.IncompleteReadError):
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                if not ok:
                    failures[kind] = failures.get(kind, 0) + 1

            start = time.perf_counter() + 0.2
            await asyncio.gather(*(one(url, start + i / TRACKING_RATE) for i, url in enumerate(todo)))
            if kind != WARMUP:
                results[kind] = latencies
    finally:
        await client.close()
    for kind, count in failures.items():
        sys.stderr.write(f"tracking client: {count} {kind} requests failed\n")
    sys.stdout.write(json.dumps(results))


_BARE_OPEN = """
WITH e AS (
    INSERT INTO event (id, workspace_id, type, campaign_id, sequence_id, lead_id, step, variant, count,
                       timestamp, timestamp_counted)
    SELECT gen_random_uuid(), workspace_id, $2, campaign_id, sequence_id, lead_id, step, variant, 1,
           now(), now()
    FROM send WHERE id = $1
    ON CONFLICT (type, sequence_id, lead_id, step) DO UPDATE SET count = event.count + 1
    RETURNING lead_id
)
UPDATE lead SET email_open_count = email_open_count + 1, timestamp_last_open = now()
WHERE id = (SELECT lead_id FROM e)
"""
_BARE_UNSUBSCRIBE = (
    "UPDATE send SET state = 'cancelled' WHERE lead_id = $2 AND state IN ('scheduled', 'retry')",
    "UPDATE lead SET status = -2 WHERE id = $2",
    "INSERT INTO block_list_entry"
    " (id, timestamp_created, timestamp_updated, workspace_id, bl_value, is_domain)"
    " SELECT gen_random_uuid(), now(), now(), workspace_id, email, false FROM lead WHERE id = $2"
    " ON CONFLICT DO NOTHING",
    "INSERT INTO event (id, workspace_id, type, campaign_id, sequence_id, lead_id, step, variant, count,"
    " timestamp) SELECT gen_random_uuid(), workspace_id, 'unsubscribed', campaign_id, sequence_id, lead_id,"
    " step, variant, 1, now() FROM send WHERE id = $1 ON CONFLICT DO NOTHING",
)


async def tracking_bare(conn: asyncpg.Connection, world: World) -> dict[str, list[float]]:
    """The SQL an open, a click and an unsubscribe need, one transaction each, on sends the client
    does not touch (the end of the sample)."""
    spare = world.sent_sends[-600:]
    results: dict[str, list[float]] = {"open": [], "click": [], "unsubscribe": []}
    for index, (send_id, lead_id) in enumerate(spare):
        kind = ("open", "click", "unsubscribe")[index % 3]
        started = time.perf_counter()
        async with conn.transaction():
            if kind == "unsubscribe":
                for sql in _BARE_UNSUBSCRIBE:
                    await _execute(conn, sql, send_id, lead_id)
            else:
                await conn.execute(_BARE_OPEN, send_id, "opened" if kind == "open" else "clicked")
        results[kind].append((time.perf_counter() - started) * 1000)
    return results


async def _execute(conn: asyncpg.Connection, sql: str, send_id: uuid.UUID, lead_id: uuid.UUID) -> None:
    args = [value for name, value in (("$1", send_id), ("$2", lead_id)) if name in sql]
    await conn.execute(sql.replace("$2", "$1") if "$1" not in sql else sql, *args)
