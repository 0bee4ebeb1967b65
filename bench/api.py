"""API overhead: an authenticated list of 100 API keys against a bare route returning the same bytes.

    python bench/api.py [--database-url URL | --sqlite] [--requests N] [--concurrency C] [--rounds R]

All routes are served by the same app in the same uvicorn process (a child of this script, on a free
loopback port, engine off, rate limits raised). The bare route's body is the list's response, taken once
before the run, so the ratio (a)/(b) is the share of the HTTP stack's throughput that survives auth,
the database and serialization. A third route (c) does the least any implementation of the list must:
the list's own query (the service's statement, through the app's engine) and the same bytes written from
its rows by hand (orjson, the API's timestamp format), without auth or pydantic; (a)/(c) is what the
framework and the models cost over that. Without --database-url a fresh PostgreSQL database is created on
127.0.0.1:5432 and dropped at the end; --sqlite uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.clock import iso_z
from coldsend.config import Settings
from coldsend.db import migrate
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.workspaces import service as workspace_service

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
LIST_PATH = "/api/v2/api-keys?limit=100"
BARE_PATH = "/bench/bare"
SAME_SQL_PATH = "/bench/same-sql"
KEYS = 100
STARTUP_SECONDS = 60.0
POLL_SECONDS = 0.05


def bench_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key="bench-secret-key",
        rate_limit_per_second=10_000_000,
        rate_limit_per_minute=10_000_000,
        log_level="warning",
    )


def serve(database_url: str, data_dir: Path, port: int, body_file: Path, workspace_file: Path) -> None:
    """The child: the real app plus the bare and same-SQL routes, under uvicorn."""
    app = create_app(bench_settings(database_url, data_dir), run_engine=False)
    body = body_file.read_bytes()
    workspace_id = uuid.UUID(workspace_file.read_text())

    async def bare(_request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def same_sql(_request: Request) -> Response:
        async with app.state.sessionmaker() as session:
            rows, _more = await api_key_service.list_page(
                session, workspace_id=workspace_id, limit=KEYS, after=None
            )
        items = [
            {
                "id": str(row.id),  # asyncpg's own UUID type, which orjson does not take
                "name": row.name,
                "scopes": row.scopes,
                "key": row.key,
                "organization_id": str(row.organization_id),
                "timestamp_created": iso_z(row.timestamp_created),
                "timestamp_updated": iso_z(row.timestamp_updated),
            }
            for row in rows
        ]
        return Response(orjson.dumps({"items": items}), media_type="application/json")

    # First in the routing table: the dashboard is mounted at "/" and would answer a route added after it.
    app.router.routes.insert(0, Route(BARE_PATH, bare, include_in_schema=False))
    app.router.routes.insert(0, Route(SAME_SQL_PATH, same_sql, include_in_schema=False))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def seed(database_url: str) -> tuple[str, uuid.UUID]:
    """A workspace holding 100 API keys: the secret of one of them (all:all), and the workspace's id."""
    engine = create_engine(database_url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            workspace = await workspace_service.create(session, name=f"Bench {uuid.uuid4().hex[:6]}")
            secrets = [
                (
                    await api_key_service.create(
                        session, workspace_id=workspace.id, name=f"bench key {i}", scopes=["all:all"]
                    )
                )[1]
                for i in range(KEYS)
            ]
    finally:
        await engine.dispose()
    return secrets[0], workspace.id


async def precompute_body(settings: Settings, key: str) -> bytes:
    """The list response, from the app in-process, before the server starts."""
    app = create_app(settings, run_engine=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            response = await client.get(LIST_PATH, headers={"Authorization": f"Bearer {key}"})
    response.raise_for_status()
    assert len(response.json()["items"]) == KEYS
    return response.content


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    rate: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float  # server CPU time per request

    @property
    def capacity(self) -> float:
        """Requests per second the (single-process) server could do if the client kept up."""
        return 1000 / self.server_cpu_ms


async def measure(
    client: httpx.AsyncClient, path: str, *, requests: int, concurrency: int, server_pid: int
) -> Result:
    latencies: list[float] = []
    todo = iter(range(requests))

    async def worker() -> None:
        for _ in todo:
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")

    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(server_pid) - cpu_before
    cuts = statistics.quantiles(latencies, n=100)
    return Result(requests / elapsed, cuts[49] * 1000, cuts[98] * 1000, cpu * 1000 / requests)


async def wait_ready(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(POLL_SECONDS)
    raise RuntimeError("server did not start in time")


def show(label: str, result: Result) -> None:
    print(
        f"{label:<46} {result.rate:7.0f} req/s   p50 {result.p50_ms:6.2f} ms   p99 {result.p99_ms:6.2f} ms"
        f"   server CPU {result.server_cpu_ms:5.2f} ms/req (capacity {result.capacity:6.0f} req/s)"
    )


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> None:
    settings = bench_settings(database_url, workdir / "data")
    await asyncio.to_thread(migrate.upgrade, database_url)
    key, workspace_id = await seed(database_url)
    body_file = workdir / "body.json"
    body_file.write_bytes(await precompute_body(settings, key))
    (workdir / "workspace").write_text(str(workspace_id))

    port = free_port()
    command = [sys.executable, __file__, "--serve", str(port), "--database-url", database_url]
    command += ["--workdir", str(workdir)]
    server = subprocess.Popen(command)
    try:
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            limits=limits,
            timeout=30,
        ) as client:
            await wait_ready(client, server)
            listed, bare = await client.get(LIST_PATH), await client.get(BARE_PATH)
            same_sql = await client.get(SAME_SQL_PATH)
            assert listed.content == bare.content == body_file.read_bytes(), "bodies differ"
            assert same_sql.json() == listed.json(), "the same-SQL route's body differs from the list's"
            print(
                f"backend {database_url.split(':', 1)[0]}, {args.requests} requests x {args.rounds} rounds, "
                f"{args.concurrency} in flight, body {len(bare.content)} bytes, server pid {server.pid}"
            )
            for path in (LIST_PATH, BARE_PATH, SAME_SQL_PATH):
                await measure(
                    client, path, requests=args.warmup, concurrency=args.concurrency, server_pid=server.pid
                )
            results: dict[str, list[Result]] = {LIST_PATH: [], BARE_PATH: [], SAME_SQL_PATH: []}
            for _ in range(args.rounds):
                for path in results:
                    results[path].append(
                        await measure(
                            client,
                            path,
                            requests=args.requests,
                            concurrency=args.concurrency,
                            server_pid=server.pid,
                        )
                    )
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    api, base, least = (sorted(results[path], key=lambda r: r.rate)[args.rounds // 2] for path in results)
    show(f"(a) GET {LIST_PATH}", api)
    show(f"(b) GET {BARE_PATH} (same bytes)", base)
    show(f"(c) GET {SAME_SQL_PATH} (same query, same bytes)", least)
    print(f"ratio (a)/(b) = {api.rate / base.rate:.2f} in req/s (median round)")
    print(
        f"server CPU per request: (a) = {api.server_cpu_ms / base.server_cpu_ms:.1f}x (b) (goal <= 3x), "
        f"(c) = {least.server_cpu_ms / base.server_cpu_ms:.1f}x (b), (a) = "
        f"{api.server_cpu_ms / least.server_cpu_ms:.1f}x (c)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an existing database (SQLAlchemy URL); default: fresh PG")
    where.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=3000, help="requests per route per round")
    parser.add_argument("--warmup", type=int, default=500, help="warm-up requests per route")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        workdir = args.workdir
        serve(args.database_url, workdir / "data", args.serve, workdir / "body.json", workdir / "workspace")
        return
    with tempfile.TemporaryDirectory(prefix="coldsend-bench-") as tmp:
        workdir = Path(tmp)
        if args.database_url or args.sqlite:
            url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            asyncio.run(run(args, url, workdir))
            return
        url, name = asyncio.run(create_database(PG_ADMIN_DSN, prefix="coldsend_bench_"))
        try:
            asyncio.run(run(args, url, workdir))
        finally:
            asyncio.run(drop_database(PG_ADMIN_DSN, name))


if __name__ == "__main__":
    main()
