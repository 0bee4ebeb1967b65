"""`blocked()` for a batch of addresses against a large block list, next to a plain indexed SELECT.

    python bench/blocklist.py [--sqlite] [--entries N] [--addresses M] [--rounds R]

Seeds one workspace with N entries (4/5 emails, 1/5 domains) in a fresh PostgreSQL database on
127.0.0.1:5432 (dropped at the end) or, with --sqlite, a temporary SQLite file. Then times, on the same
database, (a) `block_list_entries.service.blocked()` for M addresses (a third blocked by address, a third
by domain, a third not blocked), which looks up each address and its domain; and (b) the baseline, a
plain `SELECT bl_value ... WHERE workspace_id = $1 AND bl_value = ANY($2)` (IN (...) on SQLite) over the
M addresses on a raw driver connection (asyncpg / sqlite3). Rounds alternate between the two, after a warm-up
that settles both into the query plans they keep. Prints the median of R rounds (default 15) of each and
the ratio baseline / ours (goal >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from coldsend.addresses import email_key
from coldsend.block_list_entries import service as block_list_service
from coldsend.clock import utcnow
from coldsend.db import migrate
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import create_engine, create_read_sessionmaker, create_sessionmaker, session_scope
from coldsend.ids import new_id
from coldsend.models import BlockListEntry
from coldsend.workspaces import service as workspace_service

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BASELINE_SQL = "SELECT bl_value FROM block_list_entry WHERE workspace_id = $1 AND bl_value = ANY($2)"
EMAIL_DOMAINS = 5000
WARMUP_ROUNDS = 6


def entry_values(count: int) -> list[str]:
    domains = count // 5
    emails = [f"user{i}@dom{i % EMAIL_DOMAINS}.com" for i in range(count - domains)]
    return emails + [f"blocked{i}.org" for i in range(domains)]


def addresses(count: int, entries: int, rng: random.Random) -> list[str]:
    """A third blocked by address, a third by domain, a third not blocked; shuffled."""
    emails, domains = entries - entries // 5, entries // 5
    third = count // 3
    by_address = [f"user{i}@dom{i % EMAIL_DOMAINS}.com" for i in rng.sample(range(emails), third)]
    by_domain = [f"lead{i}@blocked{rng.randrange(domains)}.org" for i in range(third)]
    misses = [f"nobody{i}@free{rng.randrange(1000)}.net" for i in range(count - 2 * third)]
    asked = by_address + by_domain + misses
    rng.shuffle(asked)
    return asked


async def seed(database_url: str, entries: int) -> uuid.UUID:
    await asyncio.to_thread(migrate.upgrade, database_url)
    engine = create_engine(database_url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            workspace = await workspace_service.create(session, name="Bench", owner_email="bench@example.com")
        now = utcnow()
        rows = [
            (new_id(), workspace.id, value, "@" not in value, now, now) for value in entry_values(entries)
        ]
        columns = ["id", "workspace_id", "bl_value", "is_domain", "timestamp_created", "timestamp_updated"]
        if database_url.startswith("postgresql"):
            conn = await asyncpg.connect(_asyncpg_dsn(database_url))
            try:
                await conn.copy_records_to_table("block_list_entry", records=rows, columns=columns)
                await conn.execute("ANALYZE block_list_entry")
            finally:
                await conn.close()
        else:
            async with session_scope(create_sessionmaker(engine)) as session:
                await session.execute(
                    insert(BlockListEntry), [dict(zip(columns, row, strict=True)) for row in rows]
                )
        return workspace.id
    finally:
        await engine.dispose()


def _asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


Call = Callable[[], Awaitable[int]]


async def median_seconds(rounds: int, ours: Call, baseline: Call) -> tuple[tuple[float, int], ...]:
    """The median time and the hits of each call, in interleaved rounds (which goes first alternates), so
    both see the same load on a shared machine. The warm-up runs each past PostgreSQL's first five custom
    plans of a prepared statement, into the plan it keeps."""
    calls = (ours, baseline)
    for _ in range(WARMUP_ROUNDS):
        for call in calls:
            await call()
    times: tuple[list[float], list[float]] = ([], [])
    hits = [0, 0]
    for round_ in range(rounds):
        for index in (0, 1) if round_ % 2 == 0 else (1, 0):
            start = time.perf_counter()
            hits[index] = await calls[index]()
            times[index].append(time.perf_counter() - start)
    return tuple((statistics.median(times[index]), hits[index]) for index in (0, 1))


async def run(database_url: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    workspace_id = await seed(database_url, args.entries)
    backend = database_url.split(":")[0]
    print(f"seeded {args.entries:,} entries in {time.perf_counter() - started:.1f}s ({backend})")
    asked = addresses(args.addresses, args.entries, random.Random(20261125))
    engine = create_engine(database_url)
    read_sessions = create_read_sessionmaker(engine)

    async def ours() -> int:
        async with read_sessions() as session:
            found = await block_list_service.blocked(session, workspace_id=workspace_id, addresses=asked)
        return len(found)

    if database_url.startswith("postgresql"):
        conn = await asyncpg.connect(_asyncpg_dsn(database_url))

        async def baseline() -> int:
            return len(await conn.fetch(BASELINE_SQL, workspace_id, asked))

        try:
            (ours_s, ours_hits), (base_s, base_hits) = await median_seconds(args.rounds, ours, baseline)
        finally:
            await conn.close()
    else:
        path = make_url(database_url).database
        assert path
        db = sqlite3.connect(path)
        sql = (
            "SELECT bl_value FROM block_list_entry WHERE workspace_id = ? AND bl_value IN "
            f"({','.join('?' * len(asked))})"
        )

        async def sqlite_baseline() -> int:
            return len(db.execute(sql, [workspace_id.hex, *asked]).fetchall())

        try:
            (ours_s, ours_hits), (base_s, base_hits) = await median_seconds(
                args.rounds, ours, sqlite_baseline
            )
        finally:
            db.close()
    await engine.dispose()
    keys = len({key for address in asked for key in email_key(address)})
    print(
        f"blocked(): {len(asked):,} addresses ({keys:,} address+domain keys), {ours_hits:,} blocked: "
        f"{ours_s * 1000:.1f} ms"
    )
    print(f"baseline:  {len(asked):,} addresses as-is, {base_hits:,} exact matches: {base_s * 1000:.1f} ms")
    print(f"ratio baseline/ours: {base_s / ours_s:.2f} (goal >= 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--addresses", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args))
        return
    url, name = asyncio.run(create_database(PG_ADMIN_DSN, prefix="coldsend_bench_"))
    try:
        asyncio.run(run(url, args))
    finally:
        asyncio.run(drop_database(PG_ADMIN_DSN, name))


if __name__ == "__main__":
    main()
