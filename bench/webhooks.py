"""The webhook dispatcher's throughput next to a bare httpx loop, against the same receiver; and its
latency from commit to receipt at low load.

    python bench/webhooks.py [--sqlite] [--deliveries 10000] [--concurrency 8] [--samples 30]

Starts the webhook receiver (`tests/webhook_receiver.py`, recording only) in its own process on a free
port. Then, in the same run: (a) the baseline: one `httpx.AsyncClient`, `--concurrency` tasks posting the
same signed payloads back to back; (b) the dispatcher: a fresh PostgreSQL database on 127.0.0.1:5432
(dropped at the end; --sqlite: a temporary SQLite file) seeded with one webhook and `--deliveries` due
deliveries, and one `coldsend worker` process (per-host concurrency `--concurrency`) that claims, signs,
posts and records them. Both rates are deliveries / second from the first receipt to the last, as the
receiver saw them; the baseline runs again after the dispatcher, and the ratio is dispatcher / the
baselines' mean (goal >= 0.7). With the worker idle after its run, `--samples` deliveries are committed
one at a time and the median time from the commit to the receiver's receipt is printed (goal < 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson
from sqlalchemy import func, insert, select

from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db import migrate
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.ids import new_id
from coldsend.models import DeliveryState, Webhook, WebhookDelivery
from coldsend.webhooks import signing
from coldsend.workspaces import service as workspace_service
from tests.factories import insert_webhook, queue_delivery
from tests.webhook_receiver import Receiver, start

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-secret-key"


def payload(n: int) -> dict[str, object]:
    return {
        "timestamp": utcnow().isoformat(),
        "event_type": "email_sent",
        "workspace": "bench",
        "campaign_id": str(uuid.UUID(int=1)),
        "campaign_name": "Bench",
        "lead_email": f"lead{n}@prospects.bench",
        "email_account": "sender@bench.test",
        "step": 1,
        "variant": 1,
        "is_first": True,
        "firstName": f"Lead{n}",
        "companyName": f"Company{n}",
    }


def span_rate(receipts: list[float]) -> float:
    return len(receipts) / max(max(receipts) - min(receipts), 1e-6)


async def baseline(url: str, secret: str, deliveries: int, concurrency: int) -> None:
    """The same signed payloads, posted by a bare httpx.AsyncClient with `concurrency` tasks."""
    queue = list(range(deliveries))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=15) as client:

        async def worker() -> None:
            while queue:
                n = queue.pop()
                body = orjson.dumps(payload(n))
                headers = signing.signed_headers(
                    keys=[secret], message_id=str(new_id()), timestamp=utcnow(), body=body, own=None
                )
                response = await client.post(url, content=body, headers=headers)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def seed(url: str, hook_url: str, deliveries: int) -> Webhook:
    settings = Settings(database_url=url, secret_key=SECRET_KEY)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            workspace = await workspace_service.create(session, name="Bench", owner_email="bench@bench.test")
            webhook, _ = await insert_webhook(session, settings, workspace.id, hook_url)
            now = utcnow()
            for first in range(0, deliveries, 5000):
                await session.execute(
                    insert(WebhookDelivery),
                    [
                        {
                            "id": new_id(),
                            "workspace_id": workspace.id,
                            "webhook_id": webhook.id,
                            "event_type": "email_sent",
                            "payload": payload(n),
                            "lead_email": f"lead{n}@prospects.bench",
                            "next_attempt_at": now,
                        }
                        for n in range(first, min(deliveries, first + 5000))
                    ],
                )
    finally:
        await engine.dispose()
    return webhook


def start_worker(url: str, data_dir: Path, concurrency: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COLDSEND_DATABASE_URL": url,
        "COLDSEND_DATA_DIR": str(data_dir),
        "COLDSEND_SECRET_KEY": SECRET_KEY,
        "COLDSEND_WEBHOOK_ALLOW_PRIVATE": "true",
        "COLDSEND_WEBHOOK_CONCURRENCY_PER_HOST": str(concurrency),
        "COLDSEND_LOG_LEVEL": "warning",
    }
    return subprocess.Popen([sys.executable, "-m", "coldsend", "worker"], env=env, stderr=subprocess.DEVNULL)


async def wait_delivered(url: str, expected: int, worker: subprocess.Popen[bytes]) -> None:
    engine = create_engine(url)
    try:
        while True:
            async with create_sessionmaker(engine)() as session:
                query = select(func.count()).where(WebhookDelivery.state == DeliveryState.DELIVERED)
                if (await session.scalar(query) or 0) >= expected:
                    return
            if worker.poll() is not None:
                raise SystemExit("the worker exited")
            await asyncio.sleep(0.25)
    finally:
        await engine.dispose()


async def latency(url: str, webhook: Webhook, receiver: Receiver, samples: int) -> float:
    """The median seconds from a delivery's commit to its receipt, one at a time on an idle worker."""
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    waits: list[float] = []
    try:
        for _ in range(samples):
            async with session_scope(maker) as session:
                queued = await queue_delivery(session, webhook, utcnow(), payload={"sample": True})
            committed = time.time()
            while True:
                found = [r for r in receiver.requests("/bench") if r.headers["webhook-id"] == str(queued.id)]
                if found:
                    waits.append(found[0].received_at - committed)
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # low load: one at a time, not in step with the poll
    finally:
        await engine.dispose()
    return statistics.median(waits)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8, help="POSTs in flight (per host)")
    parser.add_argument("--samples", type=int, default=30, help="deliveries timed at low load")
    args = parser.parse_args()

    receiver = start(verify=False)
    name: str | None = None
    try:
        secret = signing.new_secret()

        async def bare_rate() -> float:
            await baseline(receiver.url("/baseline"), secret, args.deliveries, args.concurrency)
            rate = span_rate([r.received_at for r in receiver.requests("/baseline")])
            receiver.clear()
            return rate

        bare = [await bare_rate()]
        with tempfile.TemporaryDirectory(prefix="coldsend-bench-") as tmp:
            if args.sqlite:
                url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            else:
                url, name = await create_database(PG_ADMIN_DSN, prefix="coldsend_bench_")
            webhook = await seed(url, receiver.url("/bench"), args.deliveries)
            worker = start_worker(url, Path(tmp), args.concurrency)
            try:
                await wait_delivered(url, args.deliveries, worker)
                arrived = receiver.requests("/bench")
                ours = span_rate([r.received_at for r in arrived])
                median = await latency(url, webhook, receiver, args.samples)
            finally:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
        bare.append(await bare_rate())  # before and after: the machine's pace drifts between runs
    finally:
        receiver.stop()
        if name is not None:
            await drop_database(PG_ADMIN_DSN, name)
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"receiver got {len(arrived)} dispatcher requests for {args.deliveries} deliveries")
    before, after = bare
    print(f"bare httpx.AsyncClient, {args.concurrency} in flight: {before:8.0f} before, {after:.0f} after /s")
    print(f"coldsend worker ({backend}), {args.concurrency} per host: {ours:8.0f} deliveries/s")
    print(f"ratio dispatcher / mean baseline:        {ours / statistics.mean(bare):8.2f}   (goal >= 0.7)")
    print(f"median commit to receipt, low load:      {median * 1000:8.0f} ms  (goal < 1000 ms)")


if __name__ == "__main__":
    asyncio.run(main())
