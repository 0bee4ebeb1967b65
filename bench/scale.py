"""Scale: the scheduler, analytics, lead lists and tracking over 10k, 100k and 1M leads (issue 21).

    python bench/scale.py [--leads N ...]    (default: 10000 100000 1000000)

For each N: a fresh PostgreSQL database on 127.0.0.1:5432 (dropped at the end), migrated, seeded
through COPY (bench/scale_world.py: N leads over 100 campaigns and 50 accounts, ~8 events a lead over
90 days); then the real app under uvicorn in a child process (engine off) and, in this process:
  - lead list: POST /leads/list (campaign + filter + search) page 1 and every page to the 50th by
    cursor; distinct_contacts the same;
  - analytics: campaign analytics, overview, daily, steps over 30 and 90 days, account daily, warmup;
  - scheduler tick: `Scheduler.tick` with campaign daily limits set so it plans 2,000 sends, and N/50
    (the first tick of a new scheduler is noted apart: it opens its connection and may read from disk);
  - tracking: /t/open, /t/click, /t/unsubscribe at 200 requests/s each from a client in its own process
    (bench/http_load.py: httpx there cost two thirds of the server's CPU per request, on the same cores),
    after 1 s of opens on other sends that are not measured (the API opens its connections then);
  - RSS: a `coldsend worker` sending the 2,000 due sends to an SMTP sink (tests/smtp_sink.py), its peak,
    and the API server's peak after all of the above.
Each figure (p50/p95 in ms) is printed next to its bare SQL, run over asyncpg in the same run, and the
goals of issue 21 part 2 are marked met or not at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import scale_probes as probes
import uvicorn
from alembic import command
from alembic.script import ScriptDirectory
from scale_world import World, seed
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from coldsend import encryption
from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.config import Settings
from coldsend.db import migrate
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.models import Send, SendState
from coldsend.workspaces import service as workspace_service
from tests.smtp_sink import free_port

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-secret-key"
FIXED_DUE = 2000
WORKER_SECONDS = 120.0
STARTUP_SECONDS = 600.0  # the API server, importing and starting on a loaded machine


def bench_settings(database_url: str, data_dir: Path, port: int = 8000) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=SECRET_KEY,
        public_url=f"http://127.0.0.1:{port}",
        rate_limit_per_second=10_000_000,
        rate_limit_per_minute=10_000_000,
        send_batch_size=100_000,
        account_daily_ceiling=1_000_000,
        log_level="warning",
    )


def serve(database_url: str, data_dir: Path, port: int) -> None:
    app = create_app(bench_settings(database_url, data_dir, port), run_engine=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stop(process: subprocess.Popen[Any]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _setup(url: str) -> str:
    """The workspace and an all:all API key (through the services); the key's secret."""
    engine = create_engine(url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            workspace = await workspace_service.create(session, name="Scale", owner_email="bench@bench.test")
            _key, secret = await api_key_service.create(
                session, workspace_id=workspace.id, name="bench", scopes=["all:all"]
            )
    finally:
        await engine.dispose()
    return secret


async def _rebuild_rollups(url: str, world: World) -> float | None:
    """Issue 21: the analytics rollups (coldsend/analytics/rollups.py, helper "rollups") recounted from
    the COPYed events, once they are on main; None while they are not."""
    try:
        rollups = importlib.import_module("coldsend.analytics.rollups")
    except ModuleNotFoundError:
        return None
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            await rollups.rebuild(session, workspace_id=world.workspace_id)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def _time_migration(url: str) -> float:
    """The newest migration on the populated database: stepped down, then timed back up."""
    config = migrate.alembic_config(url)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None
    revision = script.get_revision(head)
    await asyncio.to_thread(command.downgrade, config, str(revision.down_revision))
    started = time.perf_counter()
    await asyncio.to_thread(command.upgrade, config, head)
    return time.perf_counter() - started


async def _settle(conn: asyncpg.Connection) -> None:
    """Each timed phase starts with the writes before it on disk: a CHECKPOINT. Without it, the checkpoint
    that the seed's gigabytes (or the 20,000-due tick's writes) request runs through the next phase, and
    its I/O stalls whichever phase that is: tracking's p95 at 1M leads went from 15 ms in one run to
    330-4,000 ms in others, by where the checkpoint fell (the server's I/O waits sampled in
    pg_stat_activity: DataFileRead and WALWrite through the phase)."""
    await conn.execute("CHECKPOINT")


async def _wait_ready(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the API server exited with {server.returncode}")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("the API server did not start")


async def _tracking(settings: Settings, world: World, port: int, workdir: Path) -> dict[str, list[float]]:
    url_file = workdir / "tracking.json"
    url_file.write_text(json.dumps(probes.tracking_urls(settings, world, f"http://127.0.0.1:{port}")))
    client = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--track-client", str(url_file), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await client.communicate()
    if client.returncode:
        raise SystemExit("the tracking client failed")
    result: dict[str, list[float]] = json.loads(out)
    return result


async def _worker_rss(url: str, conn: asyncpg.Connection, world: World, workdir: Path) -> float:
    """A worker sends the 2,000 due sends to the sink (or runs WORKER_SECONDS); its peak RSS in MB."""
    await probes.set_quotas(conn, world, FIXED_DUE)
    env = {
        **os.environ,
        "COLDSEND_DATABASE_URL": url,
        "COLDSEND_DATA_DIR": str(workdir / "worker"),
        "COLDSEND_SECRET_KEY": SECRET_KEY,
        "COLDSEND_SEND_BATCH_SIZE": "100000",
        "COLDSEND_ACCOUNT_DAILY_CEILING": "1000000",
        "COLDSEND_LOG_LEVEL": "warning",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "coldsend", "worker"], env=env, stderr=subprocess.DEVNULL
    )
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    sent = 0
    try:
        deadline = time.monotonic() + WORKER_SECONDS
        while time.monotonic() < deadline and worker.poll() is None:
            async with maker() as session:
                sent = (
                    await session.scalar(
                        select(func.count()).where(Send.state == SendState.SENT, Send.sent_at >= world.today)
                    )
                    or 0
                )
            if sent >= FIXED_DUE * 0.95:
                break
            await asyncio.sleep(0.5)
        rss = peak_rss_mb(worker.pid)
    finally:
        _stop(worker)
        await engine.dispose()
    print(f"  worker sent {sent} in its run")
    return rss


async def run_one(leads: int, workdir: Path) -> dict[str, Any]:
    url, name = await create_database(PG_ADMIN_DSN, prefix="coldsend_scale_")
    sink = subprocess.Popen(
        [sys.executable, "-m", "tests.smtp_sink", "--port", str(sink_port := free_port())],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert sink.stdout is not None
    assert sink.stdout.readline().startswith("listening"), "no SMTP sink"
    server: subprocess.Popen[bytes] | None = None
    out: dict[str, Any] = {"leads": leads}
    try:
        started = time.perf_counter()
        await asyncio.to_thread(migrate.upgrade, url)
        secret = await _setup(url)
        port = free_port()
        settings = bench_settings(url, workdir / "data", port)
        conn = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            world = await seed(
                conn, leads, smtp_port=sink_port, password_encrypted=encryption.encrypt(settings, "secret")
            )
            rollups = await _rebuild_rollups(url, world)
            out["migration"] = await _time_migration(url)
            out["seed"] = {**world.seconds, "rollups": rollups, "total": time.perf_counter() - started}
            out["rows"] = world.rows
            print(f"N={leads:,}: seeded {world.rows} in {out['seed']}", flush=True)
            command = [sys.executable, __file__, "--serve", str(port), "--database-url", url]
            server = subprocess.Popen([*command, "--workdir", str(workdir)])
            headers = {"Authorization": f"Bearer {secret}"}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
            ) as client:
                await _wait_ready(client, server)
                figures: dict[str, probes.Figure] = {}
                await _settle(conn)
                figures |= await probes.lead_list(client, conn, world)
                print(f"  lead list done at {time.perf_counter() - started:.0f} s", flush=True)
                await _settle(conn)
                figures |= await probes.analytics(client, conn, world)
                print(f"  analytics done at {time.perf_counter() - started:.0f} s", flush=True)
                for label, due in (
                    ("tick, 2,000 due", FIXED_DUE),
                    (f"tick, {leads // 50:,} due (N/50)", leads // 50),
                ):
                    await _settle(conn)
                    figure, _planned = await probes.tick(settings, conn, world, due)
                    figures[label] = figure
                print(f"  ticks done at {time.perf_counter() - started:.0f} s", flush=True)
                await _settle(conn)
                bare = await probes.tracking_bare(conn, world)
                measured = await _tracking(settings, world, port, workdir)
                for kind, times in measured.items():
                    figures[f"tracking {kind} @200/s"] = probes.Figure(times, bare[kind])
                out["api_rss"] = peak_rss_mb(server.pid)
                print(f"  tracking done at {time.perf_counter() - started:.0f} s", flush=True)
            _stop(server)
            server = None
            out["worker_rss"] = await _worker_rss(url, conn, world, workdir)
            out["figures"] = figures
        finally:
            await conn.close()
    finally:
        if server is not None:
            _stop(server)
        sink.send_signal(signal.SIGTERM)
        sink.communicate(timeout=30)
        await drop_database(PG_ADMIN_DSN, name)
    out["seconds"] = time.perf_counter() - started
    return out


GOALS = {  # (label prefix, p95 goal in ms)
    "lead list": 100.0,
    "distinct_contacts": 100.0,
    "tracking open": 20.0,
    "tracking click": 20.0,
    "tracking unsubscribe": 100.0,
    "campaign analytics": 200.0,
    "overview": 200.0,
    "daily": 200.0,
    "steps": 200.0,
    "account daily": 200.0,
    "warmup analytics": 200.0,
}


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def show(first: list[dict[str, Any]], result: dict[str, Any]) -> None:
    """One N's figures: p50 / p95 ms (bare SQL p50 / p95 ms), each goal marked."""
    leads = result["leads"]
    seed_s = result["seed"]
    rows = result["rows"]
    rollups = "not on main yet" if seed_s["rollups"] is None else f"{seed_s['rollups']:.1f} s"
    print(
        f"\n== N = {leads:,} leads: {rows['send']:,} sends, {rows['event']:,} events"
        f" ({rows['event'] / leads:.1f} a lead); seeded in {seed_s['total']:.0f} s"
        f" (rows {seed_s['generate']:.0f} s,"
        f" indexes {seed_s['indexes']:.0f} s, analyze {seed_s['analyze']:.0f} s, rollups {rollups});"
        f" whole run {result['seconds']:.0f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  newest migration, upgraded on the seeded database: {result['migration']:.1f} s")
    print(f"  {'p50 / p95 ms (bare SQL p50 / p95 ms)':<34}")
    figures: dict[str, probes.Figure] = result["figures"]
    base = first[0]
    for label, figure in figures.items():
        goal = next((ms for prefix, ms in GOALS.items() if label.startswith(prefix)), None)
        mark = ""
        if goal is not None:
            mark = f"p95 < {goal:.0f} ms: {_mark(figure.p95 < goal)}"
        elif label == "tick, 2,000 due":
            flat = figure.p50 <= 2 * base["figures"][label].p50
            mark = f"< 2000 ms: {_mark(figure.p95 < 2000)}; flat vs N={base['leads']:,}: {_mark(flat)}"
        bare = probes.Figure(figure.bare, [])
        print(
            f"  {label:<34} {figure.p50:8.1f} / {figure.p95:8.1f}"
            f"   (bare {bare.p50:7.1f} / {bare.pct(figure.bare, 0.95):7.1f})  {figure.note}  {mark}"
        )
    rss = result["worker_rss"]
    print(f"  {'worker peak RSS':<34} {rss:8.0f} MB   < 500 MB: {_mark(rss < 500)}")
    print(f"  {'API peak RSS':<34} {result['api_rss']:8.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--track-client", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.database_url, args.workdir / "data", args.serve)
        return
    if args.track_client:
        asyncio.run(probes.client_main(args.track_client))
        return
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="coldsend-scale-") as tmp:
        for leads in args.leads:
            results.append(asyncio.run(run_one(leads, Path(tmp))))
            show(results[:1], results[-1])  # each N as soon as it is measured


if __name__ == "__main__":
    main()
