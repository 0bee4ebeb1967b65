"""The webhook dispatcher: turns new facts into deliveries, claims the due ones and posts them.

Each tick: `fanout.fan_out` queues the deliveries owed for new facts (under load, at most once per
poll interval when it last found none); the attempts finished since the last tick are recorded in one
transaction (`webhooks/attempts.py`); leases about to run out on deliveries still waiting for their
host are renewed; then due deliveries are claimed (`webhooks/delivery.py`) while this worker has room.
Claimed deliveries wait in their host's queue here, which up to `webhook_concurrency_per_host` tasks
work through, one POST at a time each: that is the per-host limit, and a host's queue is bounded, so
a slow receiver cannot take the room of the others. A URL is resolved and checked once per claimed
batch (`outbound.pinned_target`), not once per delivery: every POST still goes to an address checked
since its batch was claimed. Any number of workers share a PostgreSQL database.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter, deque
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import outbound
from coldsend.clock import Clock, utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.ids import default_worker_id
from coldsend.outbound import Posted, Target, UnsafeTarget
from coldsend.webhooks import attempts, delivery, fanout
from coldsend.webhooks.attempts import Attempt
from coldsend.webhooks.delivery import Due

log = logging.getLogger(__name__)

CLAIM_BATCH = 100  # deliveries leased per claim
MAX_QUEUED = 512  # deliveries claimed and not yet recorded, per worker
HOST_QUEUE_ROUNDS = 16  # a host's queue here: this many rounds of its concurrency
FAN_OUT_BATCH = 500  # facts turned into deliveries per tick
FLUSH_AT = 64  # finished attempts that wake the loop to record them
FLUSH_SECONDS = 0.1  # how long finished attempts wait at most to be recorded, under load
UNDECRYPTABLE = "the webhook's secret cannot be decrypted (the server's secret key changed)"


class WebhookDispatcher:
    """One worker's webhook deliveries: claimed, posted per host, recorded in batches."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock or Clock()
        self.worker_id = worker_id or settings.job_worker_id or default_worker_id()
        # Long enough for a host's whole queue here; renewed below while deliveries still wait.
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds * 3 + 5)
        self.host_cap = settings.webhook_concurrency_per_host * HOST_QUEUE_ROUNDS
        self._client: httpx.AsyncClient | None = None
        self._queued: dict[uuid.UUID, Due] = {}
        self._leased_until: dict[uuid.UUID, datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._per_host: Counter[str] = Counter()  # claimed and not finished, by host
        self._waiting: dict[str, deque[Due]] = {}  # claimed and not started, by host
        self._runners: Counter[str] = Counter()  # tasks posting to the host
        self._targets: dict[str, Target] = {}  # checked addresses, by URL, since its last claim
        self._next_fan_out = 0.0
        self._results: list[Attempt] = []
        self._unattempted: list[uuid.UUID] = []
        self._disabled: set[uuid.UUID] = set()  # webhooks turned off since their deliveries here were claimed
        self._lost: set[uuid.UUID] = set()
        self._stopping = False
        self._wake = asyncio.Event()
        self._fruitless: tuple[set[uuid.UUID], float] = (set(), 0.0)

    # --- loops ---------------------------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        """The engine loop, until stopped; then the POSTs in flight finish and are recorded."""
        self._stopping = False  # restarted by the engine after a crash
        try:
            while not stopping.is_set():
                self._wake.clear()
                if await self.tick() and len(self._queued) < MAX_QUEUED:
                    continue  # more may be due: claim again at once
                wait = FLUSH_SECONDS if self._results else self.settings.webhook_poll_interval
                waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stopping.wait())]
                await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            self._stopping = True
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._flush()
            await self.close()

    async def tick(self) -> int:
        """Fan out, record, renew, claim; how many deliveries were claimed."""
        if time.monotonic() >= self._next_fan_out:
            if not await self._fan_out():
                self._next_fan_out = time.monotonic() + self.settings.webhook_poll_interval
        await self._flush()
        await self._renew()
        return await self._claim()

    async def run_until_idle(self) -> int:
        """Fan out and deliver everything due at the clock's time (tests drive the dispatcher with
        this); how many attempts were made."""
        made = 0
        while True:
            queued = await self._fan_out()
            claimed = await self._claim()
            while self._tasks:
                await asyncio.gather(*self._tasks)
            made += await self._flush()
            if not queued and not claimed:
                return made

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- steps ---------------------------------------------------------------------------------------
    async def _fan_out(self) -> int:
        async with session_scope(self.sessionmaker) as session:
            return await fanout.fan_out(session, self.settings, self.clock.now(), FAN_OUT_BATCH)

    async def _claim(self) -> int:
        room = min(MAX_QUEUED - len(self._queued), CLAIM_BATCH)
        if room <= 0:
            return 0
        now = self.clock.now()
        full = {due.webhook_id for due in self._queued.values() if self._per_host[due.host] >= self.host_cap}
        # A claim that leaves out busy webhooks reads past all their due rows: after one that found
        # nothing else, wait a poll unless one of them has room again.
        if full and full == self._fruitless[0] and time.monotonic() < self._fruitless[1]:
            return 0
        async with self.sessionmaker() as session:
            if not await delivery.any_due(session, now):
                return 0
        async with session_scope(self.sessionmaker) as session:
            claimed = await delivery.claim_due(
                session,
                self.settings,
                now=now,
                owner=self.worker_id,
                lease=self.lease,
                limit=room,
                skip_webhooks=full,
            )
        if full and not claimed:
            self._fruitless = (full, time.monotonic() + self.settings.webhook_poll_interval)
        # A webhook with deliveries due again is active again (resumed) if it was turned off here.
        self._disabled -= {due.webhook_id for due in claimed}
        for url in {due.url for due in claimed}:
            self._targets.pop(url, None)  # resolved and checked again for this batch
        for due in claimed:
            self._queued[due.id] = due
            self._leased_until[due.id] = now + self.lease
            self._per_host[due.host] += 1
            self._waiting.setdefault(due.host, deque()).append(due)
        for host in {due.host for due in claimed}:
            wanted = min(self.settings.webhook_concurrency_per_host, len(self._waiting[host]))
            for _ in range(wanted - self._runners[host]):
                self._runners[host] += 1
                task = asyncio.create_task(self._run_host(host))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def _renew(self) -> None:
        """Extend the leases of queued deliveries past half their lease (their host is slow)."""
        now = self.clock.now()
        ids = [id_ for id_, until in self._leased_until.items() if until - now < self.lease / 2]
        if not ids:
            return
        until = now + self.lease
        async with session_scope(self.sessionmaker) as session:
            kept = await delivery.renew(session, ids, owner=self.worker_id, until=until)
        for id_ in ids:
            if id_ in kept:
                self._leased_until[id_] = until
            else:
                self._lost.add(id_)

    async def _flush(self) -> int:
        """Record the finished attempts and hand back the deliveries not attempted; how many attempts."""
        results, self._results = self._results, []
        unattempted, self._unattempted = self._unattempted, []
        if not results and not unattempted:
            return 0
        async with session_scope(self.sessionmaker) as session:
            self._disabled |= await attempts.record(
                session, results, owner=self.worker_id, settings=self.settings
            )
            await delivery.release(session, unattempted, owner=self.worker_id)
        return len(results)

    # --- one host, one delivery ----------------------------------------------------------------------
    async def _run_host(self, host: str) -> None:
        """One of the host's at most `webhook_concurrency_per_host` tasks: its deliveries, one at a time."""
        waiting = self._waiting[host]
        try:
            while waiting:
                await self._attempt(waiting.popleft())
        finally:
            self._runners[host] -= 1
            if not self._runners[host]:
                del self._runners[host]
                if not waiting and self._waiting.get(host) is waiting:
                    del self._waiting[host]

    async def _attempt(self, due: Due) -> None:
        try:
            if self._stopping or due.webhook_id in self._disabled or due.id in self._lost:
                self._unattempted.append(due.id)
                return
            posted = await self._post(due)
            self._results.append(Attempt(due=due, at=self.clock.now(), posted=posted))
            if posted.status_code == 410:
                self._disabled.add(due.webhook_id)
        except Exception:
            log.exception("webhook delivery %s: unexpected failure; retried when its lease ends", due.id)
        finally:
            del self._queued[due.id]
            self._leased_until.pop(due.id, None)
            self._lost.discard(due.id)
            self._per_host[due.host] -= 1
            if not self._per_host[due.host]:
                del self._per_host[due.host]
                self._forget_targets(due.host)
            if len(self._results) >= FLUSH_AT or not self._queued:
                self._wake.set()

    def _forget_targets(self, host: str) -> None:
        for url in [url for url in self._targets if (urlsplit(url).hostname or "").lower() == host]:
            del self._targets[url]

    async def _post(self, due: Due) -> Posted:
        if due.keys is None:
            return Posted(status_code=None, response_time_ms=0, error=UNDECRYPTABLE)
        if self._client is None:
            self._client = outbound.client(max_connections=MAX_QUEUED)
        started = time.monotonic()
        target = self._targets.get(due.url)
        if target is None:
            try:
                target = await outbound.pinned_target(
                    due.url,
                    allow_private=self.settings.webhook_allow_private,
                    nameservers=self.settings.dns_nameservers,
                )
            except UnsafeTarget as error:
                return outbound.refused(error, started)
            self._targets[due.url] = target
        body = due.body()
        # Signed with the wall clock, not the engine's: receivers check webhook-timestamp against
        # their own clock to refuse replays.
        headers = due.request_headers(body, utcnow())
        timeout = self.settings.webhook_timeout_seconds
        return await outbound.post_to(self._client, target, body, headers, timeout=timeout, started=started)
