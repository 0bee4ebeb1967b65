"""Bulk lead import through POST /leads/add, next to a PostgreSQL COPY of the same rows.

    python bench/leads_import.py [--leads N] [--batch B] [--list-requests R] [--concurrency C]

In a fresh PostgreSQL database on 127.0.0.1:5432 (dropped at the end), the real app (in process, over
ASGI, engine off, rate limits raised) takes N leads (default 100,000) into one campaign through
POST /api/v2/leads/add in batches of B (default and maximum 1000), C requests in flight at once
(default 1, one after another; they go to one campaign, so from the duplicate check to the commit they
queue on its lock). Then the same rows go by COPY (asyncpg `copy_records_to_table`) into a plain table
without indexes. Prints both times and the ratio COPY / ours (goal >= 0.2).

Three more baselines show where the time goes: the same COPY into the plain table in batches of B with
one transaction each (the granularity the API has: a call is a transaction); the database's own share,
those batches COPYed into a table shaped like `lead` (its columns, indexes and foreign keys), with its
ratio to ours (goal >= 0.6; with C = 1 timed batch by batch in turn with ours, so both see the same load
and both tables grow at the same pace); and the batches into `lead`'s columns alone (no index, no
foreign key), whose ratio to the single COPY bounds what any API storing these rows a call at a time
could reach. Then 4 calls of one batch each into 4 fresh campaigns, one after another and all 4 in
flight at once (alternating, median of 5 rounds: calls into different campaigns take no lock in common,
so in flight they should take clearly less time). Last, it times R requests of POST /api/v2/leads/list
over those leads with a filter (`campaign` + `FILTER_VAL_NOT_CONTACTED` + `search`, 100 per page,
walking the cursor) and prints their p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy.engine import make_url

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.config import Settings
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import session_scope
from coldsend.ids import new_id
from coldsend.models import Campaign
from coldsend.workspaces import service as workspace_service

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
COPY_TABLE = "bench_lead_copy"
COPY_COLUMNS = ["id", "email", "first_name", "last_name", "company_name", "company_domain", "payload"]
LIKE_LEAD_TABLE = "bench_lead_shaped"
IN_FLIGHT = 4
LEAD_FIXED_COLUMNS = [
    "workspace_id",
    "campaign_id",
    "timestamp_created",
    "timestamp_updated",
    "status",
    "upload_method",
    "email_open_count",
    "email_reply_count",
    "email_click_count",
    "status_summary",
    "status_summary_subseq",
]


def leads(count: int, prefix: str = "") -> list[dict[str, Any]]:
    return [
        {
            "email": f"{prefix}lead{i}@company{i % 5000}.com",
            "first_name": f"First{i}",
            "last_name": "Acme" if i % 10 == 0 else f"Last{i}",
            "company_name": f"Company {i % 5000}",
            "custom_variables": {"city": "Paris", "seats": i % 50},
        }
        for i in range(count)
    ]


async def _like_lead(
    conn: asyncpg.Connection, records: list[tuple[Any, ...]], campaign_id: uuid.UUID, *, constrained: bool
) -> list[tuple[Any, ...]]:
    """A fresh table shaped like `lead`, with its indexes and foreign keys (`constrained`) or with its
    columns only; and `records` as its rows."""
    await conn.execute(f"DROP TABLE IF EXISTS {LIKE_LEAD_TABLE}")
    if constrained:
        await conn.execute(
            f"CREATE TABLE {LIKE_LEAD_TABLE} (LIKE lead INCLUDING ALL);"
            f"ALTER TABLE {LIKE_LEAD_TABLE} ADD FOREIGN KEY (workspace_id) REFERENCES workspace (id);"
            f"ALTER TABLE {LIKE_LEAD_TABLE} ADD FOREIGN KEY (campaign_id) REFERENCES campaign (id);"
            f"ALTER TABLE {LIKE_LEAD_TABLE} ADD FOREIGN KEY (list_id) REFERENCES lead_list (id);"
            f"ALTER TABLE {LIKE_LEAD_TABLE} ADD FOREIGN KEY (subsequence_id) "
            "REFERENCES campaign_subsequence (id)"
        )
    else:
        await conn.execute(f"CREATE TABLE {LIKE_LEAD_TABLE} (LIKE lead INCLUDING DEFAULTS)")
    workspace_id = await conn.fetchval("SELECT workspace_id FROM campaign WHERE id = $1", campaign_id)
    now = datetime.now(UTC)
    return [
        (*record, workspace_id, campaign_id, now, now, 1, "api", 0, 0, 0, "{}", "{}") for record in records
    ]


async def _copy_like_lead_batch(conn: asyncpg.Connection, shaped: list[tuple[Any, ...]]) -> float:
    """Seconds to COPY one batch into the `lead`-shaped table, in a transaction of its own."""
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table(
            LIKE_LEAD_TABLE, records=shaped, columns=[*COPY_COLUMNS, *LEAD_FIXED_COLUMNS]
        )
    return time.perf_counter() - started


async def _copy_like_lead(
    conn: asyncpg.Connection,
    records: list[tuple[Any, ...]],
    batch: int,
    campaign_id: uuid.UUID,
    *,
    constrained: bool,
) -> float:
    """The database's share of the work: the same rows COPYed batch by batch into `lead`'s shape,
    with its indexes and foreign keys (`constrained`) or with its columns only."""
    shaped = await _like_lead(conn, records, campaign_id, constrained=constrained)
    return sum(
        [await _copy_like_lead_batch(conn, shaped[i : i + batch]) for i in range(0, len(shaped), batch)]
    )


def _asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def setup(app: Any) -> tuple[str, uuid.UUID, uuid.UUID]:
    async with session_scope(app.state.sessionmaker) as session:
        workspace = await workspace_service.create(session, name="Bench", owner_email="bench@example.com")
        _key, secret = await api_key_service.create(
            session, workspace_id=workspace.id, name="bench", scopes=["all:all"]
        )
    return secret, workspace.id, (await campaigns(app, workspace.id, 1))[0]


async def campaigns(app: Any, workspace_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    async with session_scope(app.state.sessionmaker) as session:
        made = [
            Campaign(workspace_id=workspace_id, name=f"Bench {i}", campaign_schedule={"schedules": []})
            for i in range(count)
        ]
        session.add_all(made)
        await session.flush()
        return [campaign.id for campaign in made]


async def in_flight(
    app: Any, client: httpx.AsyncClient, workspace_id: uuid.UUID, args: argparse.Namespace
) -> tuple[float, float]:
    """Median seconds of IN_FLIGHT calls of one batch each into as many fresh campaigns, one after another
    and all in flight at once, in alternating rounds; fresh leads each time, so none is a duplicate."""
    serial: list[float] = []
    together: list[float] = []
    batch = 0
    for round_ in range(args.in_flight_rounds):
        for concurrent in (False, True) if round_ % 2 == 0 else (True, False):
            bodies = []
            for campaign_id in await campaigns(app, workspace_id, IN_FLIGHT):
                batch += 1
                rows = leads(args.batch, prefix=f"f{batch}.")
                bodies.append(orjson.dumps({"campaign_id": str(campaign_id), "leads": rows}))
            started = time.perf_counter()
            if concurrent:
                responses = await asyncio.gather(*(_post_add(client, body) for body in bodies))
            else:
                responses = [await _post_add(client, body) for body in bodies]
            (together if concurrent else serial).append(time.perf_counter() - started)
            assert responses == [args.batch] * IN_FLIGHT, responses
    return statistics.median(serial), statistics.median(together)


async def _post_add(client: httpx.AsyncClient, body: bytes) -> int:
    response = await client.post(
        "/api/v2/leads/add", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    # orjson, as the bodies are encoded before the clock starts: the client's JSON is not the server's work.
    uploaded: int = orjson.loads(response.content)["leads_uploaded"]
    return uploaded


async def run(database_url: str, args: argparse.Namespace) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=Path(tempfile.mkdtemp()),
        secret_key="bench-secret-key",
        rate_limit_per_second=10_000_000,
        rate_limit_per_minute=10_000_000,
        log_level="warning",
    )
    app = create_app(settings, run_engine=False)
    rows = leads(args.leads)
    async with app.router.lifespan_context(app):
        secret, workspace_id, campaign_id = await setup(app)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
            # Bodies encoded before the clock starts: the client's JSON encoding is not the server's work.
            bodies = [
                orjson.dumps({"campaign_id": str(campaign_id), "leads": rows[start : start + args.batch]})
                for start in range(0, len(rows), args.batch)
            ]
            json_headers = {"Content-Type": "application/json"}
            pending = iter(bodies)

            async def sender() -> int:
                sent = 0
                for body in pending:  # the senders share one iterator: each body goes once
                    response = await client.post("/api/v2/leads/add", content=body, headers=json_headers)
                    assert response.status_code == 200, response.text
                    sent += response.json()["leads_uploaded"]
                return sent

            records = [
                (
                    new_id(),
                    lead["email"],
                    lead["first_name"],
                    lead["last_name"],
                    lead["company_name"],
                    lead["email"].rpartition("@")[2],
                    json.dumps(lead["custom_variables"]),
                )
                for lead in rows
            ]
            conn = await asyncpg.connect(_asyncpg_dsn(database_url))
            try:
                if args.concurrency == 1:
                    # Batch by batch, ours and the lead-shaped COPY of the same batch in turn (which goes
                    # first alternates): on a shared machine both see the same load, and both tables grow
                    # at the same pace.
                    shaped = await _like_lead(conn, records, campaign_id, constrained=True)
                    ours_s = batched_s = 0.0
                    uploaded = 0
                    for index, body in enumerate(bodies):
                        for ours_turn in (True, False) if index % 2 == 0 else (False, True):
                            if ours_turn:
                                started = time.perf_counter()
                                uploaded += await _post_add(client, body)
                                ours_s += time.perf_counter() - started
                            else:
                                start = index * args.batch
                                batch = shaped[start : start + args.batch]
                                batched_s += await _copy_like_lead_batch(conn, batch)
                else:
                    started = time.perf_counter()
                    uploaded = sum(await asyncio.gather(*(sender() for _ in range(args.concurrency))))
                    ours_s = time.perf_counter() - started
                    batched_s = await _copy_like_lead(
                        conn, records, args.batch, campaign_id, constrained=True
                    )
                assert uploaded == len(rows), uploaded
                await conn.execute(
                    f"CREATE TABLE {COPY_TABLE} (id uuid, email text, first_name text, last_name text, "
                    "company_name text, company_domain text, payload json)"
                )
                started = time.perf_counter()
                await conn.copy_records_to_table(COPY_TABLE, records=records, columns=COPY_COLUMNS)
                copy_s = time.perf_counter() - started
                await conn.execute(f"TRUNCATE {COPY_TABLE}")
                started = time.perf_counter()
                for start in range(0, len(records), args.batch):
                    async with conn.transaction():
                        await conn.copy_records_to_table(
                            COPY_TABLE, records=records[start : start + args.batch], columns=COPY_COLUMNS
                        )
                plain_batched_s = time.perf_counter() - started
                floor_s = await _copy_like_lead(conn, records, args.batch, campaign_id, constrained=False)
                await conn.execute("ANALYZE lead")
            finally:
                await conn.close()

            serial_s, together_s = await in_flight(app, client, workspace_id, args)

            query = {
                "campaign": str(campaign_id),
                "filter": "FILTER_VAL_NOT_CONTACTED",
                "search": "acme",
                "limit": 100,
            }
            times = []
            cursor: str | None = None
            for _ in range(args.list_requests):
                page_query = {**query, **({"starting_after": cursor} if cursor else {})}
                started = time.perf_counter()
                response = await client.post("/api/v2/leads/list", json=page_query)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
                page = response.json()
                assert len(page["items"]) == 100
                cursor = page.get("next_starting_after")
    print(
        f"POST /leads/add: {len(rows):,} leads in batches of {args.batch}, {args.concurrency} request(s) at "
        f"a time: {ours_s:.2f} s"
    )
    print(f"COPY into a plain table:  {len(rows):,} rows: {copy_s:.2f} s")
    print(f"ratio COPY/ours: {copy_s / ours_s:.2f} (goal >= 0.2)")
    print(
        f"COPY into the plain table in batches of {args.batch}, one transaction each (as the API must): "
        f"{plain_batched_s:.2f} s; ratio to ours {plain_batched_s / ours_s:.2f}"
    )
    print(
        f"COPY in batches of {args.batch}, one transaction each, into a table shaped like `lead` "
        f"(its indexes and foreign keys): {batched_s:.2f} s; ratio to ours {batched_s / ours_s:.2f} "
        "(goal >= 0.6)"
    )
    print(
        f"COPY in batches of {args.batch}, one transaction each, into `lead`'s columns without an index or "
        f"foreign key: {floor_s:.2f} s; ratio of the single COPY to it {copy_s / floor_s:.2f} (the most any "
        "API storing these rows a call at a time could reach)"
    )
    print(
        f"{IN_FLIGHT} calls of {args.batch} leads into {IN_FLIGHT} different campaigns (median of "
        f"{args.in_flight_rounds} rounds): one after another {serial_s:.2f} s, all in flight at once "
        f"{together_s:.2f} s; ratio {together_s / serial_s:.2f}"
    )
    print(
        f"POST /leads/list (campaign + filter + search, 100 per page, {len(times)} pages): "
        f"p50 {statistics.median(times) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--list-requests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=1, help="POST /leads/add calls in flight at once")
    parser.add_argument(
        "--in-flight-rounds", type=int, default=5, help=f"rounds of {IN_FLIGHT} calls, serial and in flight"
    )
    args = parser.parse_args()
    url, name = asyncio.run(create_database(PG_ADMIN_DSN, prefix="coldsend_bench_"))
    try:
        asyncio.run(run(url, args))
    finally:
        asyncio.run(drop_database(PG_ADMIN_DSN, name))


if __name__ == "__main__":
    main()
