"""Drive the sending engine in-process on a hand-moved clock, against the real app and an SMTP sink.

Campaigns, leads, accounts and block-list entries are created over the HTTP API; the scheduler and the
sender are the engine's own classes, ticked by the test instead of by their loops.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select

from coldsend.campaigns.schedule import in_schedule
from coldsend.clock import ManualClock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.scheduler import Scheduler
from coldsend.engine.sender import Sender
from coldsend.engine.serial import EngineLock
from coldsend.models import Send
from tests.conftest import Tenant
from tests.smtp_sink import Received, SmtpSink


async def leads_of(tenant: Tenant, campaign_id: str) -> dict[str, dict[str, Any]]:
    """Every lead of the campaign by email, as `POST /leads/list` shows it."""
    found: dict[str, dict[str, Any]] = {}
    after: str | None = None
    while True:
        body: dict[str, Any] = {"campaign": campaign_id, "limit": 100}
        if after:
            body["starting_after"] = after
        response = await tenant.client.post("/api/v2/leads/list", json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        found.update({item["email"]: item for item in page["items"]})
        after = page.get("next_starting_after")
        if not after:
            return found


async def campaign_status(tenant: Tenant, campaign_id: str) -> int:
    response = await tenant.client.get(f"/api/v2/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    return int(response.json()["status"])


@dataclass
class Engine:
    """The scheduler and the sender on a manual clock; `advance` moves time and lets them work."""

    settings: Settings
    clock: ManualClock
    scheduler: Scheduler
    sender: Sender

    async def run(self) -> int:
        """Plan and send until nothing more is due at the current time."""
        total = 0
        while True:
            planned = await self.scheduler.tick()
            sent = await self.sender.run_until_idle()
            total += sent
            if not planned and not sent:
                return total

    async def advance(self, delta: timedelta) -> int:
        self.clock.advance(delta)
        return await self.run()

    async def run_until(
        self,
        done: Callable[[], Awaitable[bool]],
        *,
        step: timedelta,
        limit: timedelta,
        window: dict[str, Any] | None = None,
        idle_today: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """Advance by `step` until `done()`; fail after `limit`. With a `window`, closed hours are skipped
        (nothing can be sent then), and so is the rest of the window once `idle_today()` says nothing more
        can go out before it opens again."""
        deadline = self.clock.now() + limit
        await self.run()
        while not await done():
            assert self.clock.now() < deadline, f"not done after {limit} of simulated time"
            now = self.clock.now()
            if window is None:
                await self.advance(step)
            elif not in_schedule(window, now) or (idle_today is not None and await idle_today()):
                await self.advance(next_opening(window, now) - now)
            else:
                await self.advance(step)

    async def close(self) -> None:
        await self.sender.close()


def next_opening(window: dict[str, Any], now: datetime) -> datetime:
    """The first minute after `now` at which the window opens (after it closes, if it is open now)."""
    moment = now.replace(second=0, microsecond=0)
    while in_schedule(window, moment + timedelta(minutes=1)):
        moment += timedelta(minutes=1)
    moment += timedelta(minutes=1)
    while not in_schedule(window, moment):
        moment += timedelta(minutes=1)
    return moment


def nine_today() -> datetime:
    """Today's 09:00 UTC: where the engine tests' clocks start unless a test says otherwise, far from the
    end (23:59) of their 00:00-23:59 window, so hours of simulated sending stay inside it whenever the
    suite runs."""
    return datetime.combine(datetime.now(UTC).date(), time(9), UTC)


def real_now() -> datetime:
    """For the tests whose engine must agree with something stamped or read with the real time: a lead
    moved into a subsequence over the API, `GET /campaigns/{id}/sending-status`."""
    return datetime.now(UTC).replace(microsecond=0)


def make_engine(app: FastAPI, start: datetime | None = None, **settings: Any) -> Engine:
    base: Settings = app.state.settings
    values = {
        "send_retry_base_seconds": 60.0,
        "send_retry_max_seconds": 600.0,
        "smtp_timeout_seconds": 5.0,
        **settings,
    }
    engine_settings = base.model_copy(update=values)
    clock = ManualClock(start or nine_today())
    lock = EngineLock(engine_settings.effective_database_url())
    maker = app.state.sessionmaker
    return Engine(
        settings=engine_settings,
        clock=clock,
        scheduler=Scheduler(engine_settings, maker, clock, lock),
        sender=Sender(engine_settings, maker, clock, lock, worker_id=f"test:{uuid.uuid4().hex[:8]}"),
    )


def sent_at(item: Received) -> datetime:
    return parsedate_to_datetime(str(item.message["Date"])).astimezone(UTC)


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


async def sends_of(app: FastAPI, campaign_id: str) -> list[Send]:
    async with session_scope(app.state.sessionmaker) as session:
        return list(await session.scalars(select(Send).where(Send.campaign_id == uuid.UUID(campaign_id))))


def ca_settings(sink: SmtpSink) -> dict[str, Path]:
    return {"smtp_ca_file": sink.ca_path}


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())
