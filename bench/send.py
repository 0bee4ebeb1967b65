"""The sending engine's throughput next to a bare aiosmtplib loop, against the same SMTP sink.

    python bench/send.py [--sqlite] [--accounts 20] [--messages 10000] [--workers 1]

Starts the SMTP sink (`tests/smtp_sink.py`) in its own process on a free port. Then, in the same run:
(a) the baseline: one aiosmtplib connection per account (logged in once), each sending its share of the
messages back to back, all connections concurrently; (b) the engine: a fresh PostgreSQL database on
127.0.0.1:5432 (dropped at the end; --sqlite: a temporary SQLite file) seeded with the accounts, one
active single-step campaign and one lead per message, and `--workers` `coldsend worker` processes
(default one) that schedule, render, send and record them. Prints both rates (messages / second, from
the first message to the last), the ratio engine / baseline (goal >= 0.8), and the worker's peak RSS
(VmHWM; goal < 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from sqlalchemy import func, insert, select

from coldsend import encryption as secrets
from coldsend.config import Settings
from coldsend.db import migrate
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.ids import new_id
from coldsend.models import Account, Campaign, CampaignStatus, Lead, Send, SendState
from coldsend.workspaces import service as workspace_service
from tests.smtp_sink import free_port

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-secret-key"
PASSWORD = "secret"
BODY = "Hi {{firstName}},<br/>" + "We help teams like {{companyName}} send less and say more. " * 8
EVERY_DAY = {str(day): True for day in range(7)}


def start_sink(port: int) -> subprocess.Popen[str]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "tests.smtp_sink", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert sink.stdout is not None
    line = sink.stdout.readline()
    if not line.startswith("listening"):
        sink.kill()
        raise SystemExit(f"the sink did not start: {line!r}")
    return sink


def stop_sink(sink: subprocess.Popen[str]) -> int:
    sink.send_signal(signal.SIGTERM)
    out, _ = sink.communicate(timeout=30)
    return int(out.strip().rsplit(" ", 1)[-1])


def sample_message(n: int, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"lead{n}@prospects.bench"
    message["Subject"] = f"Quick question, Lead{n}"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@bench.test>"
    text = BODY.replace("{{firstName}}", f"Lead{n}").replace("{{companyName}}", f"Company{n}")
    message.set_content(text.replace("<br/>", "\n"))
    message.add_alternative(f"<html><body>{text}</body></html>", subtype="html")
    return message.as_bytes()


async def baseline(port: int, accounts: int, messages: int) -> float:
    """Messages per second of a bare aiosmtplib loop over one connection per account."""
    per_account = messages // accounts

    async def one(index: int) -> tuple[float, float]:
        sender = f"sender{index}@bench.test"
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=False, local_hostname="bench.test"
        )
        await client.connect()
        await client.login(sender, PASSWORD)
        batch = [sample_message(index * per_account + n, sender) for n in range(per_account)]
        first = time.monotonic()
        for n, data in enumerate(batch):
            await client.sendmail(sender, [f"lead{index * per_account + n}@prospects.bench"], data)
        last = time.monotonic()
        await client.quit()
        return first, last

    spans = await asyncio.gather(*(one(index) for index in range(accounts)))
    return per_account * accounts / (max(last for _, last in spans) - min(first for first, _ in spans))


async def seed(url: str, port: int, accounts: int, messages: int) -> None:
    settings = Settings(database_url=url, secret_key=SECRET_KEY)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    try:
        async with session_scope(maker) as session:
            workspace = await workspace_service.create(session, name="Bench", owner_email="bench@bench.test")
            password = secrets.encrypt(settings, PASSWORD)
            emails = [f"sender{index}@bench.test" for index in range(accounts)]
            await session.execute(
                insert(Account),
                [
                    {
                        "id": new_id(),
                        "workspace_id": workspace.id,
                        "email": email,
                        "first_name": "Bench",
                        "last_name": "Sender",
                        "daily_limit": messages,
                        "sending_gap": 0,
                        "smtp_host": "127.0.0.1",
                        "smtp_port": port,
                        "smtp_username": email,
                        "smtp_password_encrypted": password,
                        # The baseline logs in over plain SMTP too; "none" never sends a password now.
                        "smtp_tls": "cleartext",
                    }
                    for email in emails
                ],
            )
            campaign = Campaign(
                workspace_id=workspace.id,
                name="Bench",
                status=CampaignStatus.DRAFT,
                campaign_schedule={
                    "schedules": [
                        {
                            "name": "Always",
                            "timing": {"from": "00:00", "to": "23:59"},
                            "days": EVERY_DAY,
                            "timezone": "Africa/Abidjan",
                        }
                    ]
                },
                sequences=[
                    {
                        "steps": [
                            {
                                "type": "email",
                                "delay": 1,
                                "variants": [{"subject": "Hi {{firstName}}", "body": BODY}],
                            }
                        ]
                    }
                ],
                email_list=emails,
                daily_limit=messages,
            )
            session.add(campaign)
            await session.flush()
            for start in range(0, messages, 5000):
                await session.execute(
                    insert(Lead),
                    [
                        {
                            "id": new_id(),
                            "workspace_id": workspace.id,
                            "campaign_id": campaign.id,
                            "email": f"lead{n}@prospects.bench",
                            "first_name": f"Lead{n}",
                            "company_name": f"Company{n}",
                        }
                        for n in range(start, min(messages, start + 5000))
                    ],
                )
            campaign.status = CampaignStatus.ACTIVE
    finally:
        await engine.dispose()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_engine(url: str, messages: int, data_dir: Path, workers: int) -> tuple[float, float]:
    """(messages per second from the first send to the last, the largest worker's peak RSS in MB)."""
    env = {
        **os.environ,
        "COLDSEND_DATABASE_URL": url,
        "COLDSEND_DATA_DIR": str(data_dir),
        "COLDSEND_SECRET_KEY": SECRET_KEY,
        "COLDSEND_SEND_POLL_INTERVAL": "0.2",
        "COLDSEND_SEND_BATCH_SIZE": "2000",
        # Campaign and warmup mail share a daily ceiling per account (200 by default): lift it.
        "COLDSEND_ACCOUNT_DAILY_CEILING": str(messages),
        "COLDSEND_LOG_LEVEL": "warning",
    }
    pool = [
        subprocess.Popen([sys.executable, "-m", "coldsend", "worker"], env=env, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    first: float | None = None
    try:
        while True:
            async with maker() as session:
                sent = await session.scalar(select(func.count()).where(Send.state == SendState.SENT)) or 0
            now = time.monotonic()
            if sent and first is None:
                first = now
            if sent >= messages:
                break
            if any(worker.poll() is not None for worker in pool):
                raise SystemExit("a worker exited")
            await asyncio.sleep(0.05)
        assert first is not None
        async with maker() as session:
            span = await session.execute(select(func.min(Send.sent_at), func.max(Send.sent_at)))
            earliest, latest = span.one()
        rss = max(peak_rss_mb(worker.pid) for worker in pool)
    finally:
        for worker in pool:
            worker.send_signal(signal.SIGTERM)
        for worker in pool:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        await engine.dispose()
    return messages / max((latest - earliest).total_seconds(), 1e-6), rss


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="coldsend worker processes (PostgreSQL)")
    args = parser.parse_args()

    port = free_port()
    sink = start_sink(port)
    name: str | None = None
    try:
        bare = await baseline(port, args.accounts, args.messages)
        with tempfile.TemporaryDirectory(prefix="coldsend-bench-") as tmp:
            if args.sqlite:
                url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            else:
                url, name = await create_database(PG_ADMIN_DSN, prefix="coldsend_bench_")
            await seed(url, port, args.accounts, args.messages)
            ours, rss = await run_engine(url, args.messages, Path(tmp), 1 if args.sqlite else args.workers)
    finally:
        accepted = stop_sink(sink)
        if name is not None:
            await drop_database(PG_ADMIN_DSN, name)
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"sink accepted {accepted} messages ({args.messages} baseline + {args.messages} engine)")
    print(f"bare aiosmtplib, {args.accounts} connections: {bare:8.0f} msgs/s")
    workers = 1 if args.sqlite else args.workers
    print(f"coldsend worker x{workers} ({backend}):   {ours:8.0f} msgs/s")
    print(f"ratio engine / baseline:           {ours / bare:8.2f}   (goal >= 0.8)")
    print(f"worker peak RSS (largest):         {rss:8.0f} MB  (goal < 300 MB)")


if __name__ == "__main__":
    asyncio.run(main())
