"""How long a one-by-one inbox placement test to 20 seeds takes end to end on the test mail system, next to
the same test sent all together (the baseline), in the same run.

    python bench/placement.py [--seeds 20] [--postgresql]

It runs under pytest to reuse the test fixtures: the app on a fresh database (SQLite, or PostgreSQL on
127.0.0.1:5432), a tenant, spamd, and the placement world of `tests/placement/` (the test DNS server, SMTP
into Dovecot with its Sieve filing some copies into Junk, one sender with its DKIM key). The placement loop
runs on a manual clock ticked every `COLDSEND_PLACEMENT_POLL_INTERVAL` (5 s) of simulated time, as the
worker ticks, with the default pacing (a copy every 60 s) and reading (every 60 s) settings.

Prints, for each delivery mode: the simulated time from the test's creation to its completion (what a
user waits: pacing, reading and reports), the wall time of the engine's own work in it (SMTP, IMAP searches,
DNS lookups, spamd), and the ratio one by one / all together of both.
"""

import os
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

if __name__ == "__main__":
    import argparse

    import pytest

    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    os.environ["COLDSEND_TEST_BACKENDS"] = "postgresql" if args.postgresql else "sqlite"
    os.environ["BENCH_PLACEMENT_SEEDS"] = str(args.seeds)
    plugins = ["-p", "tests.conftest", "-p", "tests.placement.conftest", "-p", "no:cacheprovider"]
    sys.exit(pytest.main([*plugins, "-s", "-q", "-p", "no:warnings", __file__]))

from fastapi import FastAPI  # noqa: E402

from coldsend.engine.placement_loop import PlacementLoop  # noqa: E402
from tests.conftest import OverrideSettings, Tenant  # noqa: E402
from tests.dns_server import serve_dns  # noqa: E402
from tests.placement.seed_mail import SeedMailSystem, seed_mail_system, sieve  # noqa: E402
from tests.placement.spamd import Spamd  # noqa: E402
from tests.placement.world import (  # noqa: E402
    JUNK,
    SEEDS,
    TESTS,
    make_loop,
    serve_records,
    set_dkim,
)
from tests.warmup.mail_system import PASSWORD  # noqa: E402
from tests.warmup.world import pool_account  # noqa: E402

SENDER = "al@alpha.test"
PROVIDERS = ("gseed.test", "mseed.test", "yseed.test")
POLL = timedelta(seconds=5)
DEFAULTS: dict[str, Any] = {"placement_read_seconds": 60.0, "placement_one_by_one_seconds": 60.0}


@dataclass
class Timing:
    simulated: timedelta
    phases: dict[str, float]  # wall seconds of the engine's work, by phase of its tick
    ticks: int

    @property
    def engine_seconds(self) -> float:
        return sum(seconds for phase, seconds in self.phases.items() if not phase.startswith("("))


async def tick(loop: PlacementLoop, phases: dict[str, float]) -> None:
    """The loop's tick (`PlacementLoop.tick`), each phase timed."""
    for name, step in (
        ("start", loop.start_due),
        ("send", lambda: loop.sender.send_due(None)),
        ("read", loop.reader.read_due),
        ("report", loop.finish_due),
    ):
        began = time.perf_counter()
        if name == "send":
            await loop.sender.recover()
        await step()
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - began


async def register_seeds(tenant: Tenant, system: SeedMailSystem, count: int) -> None:
    for n in range(count):
        email = f"s{n}@{PROVIDERS[n % len(PROVIDERS)]}"
        system.add_mailbox(email)
        body = {
            "email": email,
            "imap_host": system.dovecot.host,
            "imap_port": system.dovecot.port,
            "imap_password": PASSWORD,
            "imap_tls": "cleartext",
        }
        response = await tenant.client.post(SEEDS, json=body)
        assert response.status_code == 200, response.text


class MailSystemClock:
    """Wall time the test mail system spends on each message it accepts (SPF, DKIM and DMARC checks with
    DNS lookups, then the LMTP delivery into Dovecot), before it answers the final dot: the receiving
    provider's share of the engine's send time."""

    def __init__(self, system: SeedMailSystem) -> None:
        self.seconds = 0.0
        deliver = system.sink.state.on_accept
        assert deliver is not None
        self._deliver = deliver
        system.sink.state.on_accept = self._timed

    def _timed(self, received: Any) -> None:
        began = time.perf_counter()
        try:
            self._deliver(received)
        finally:
            self.seconds += time.perf_counter() - began


async def one_test(
    app: FastAPI, tenant: Tenant, loop_args: tuple[Any, Spamd, MailSystemClock], delivery_mode: int
) -> Timing:
    server, spamd, receiving = loop_args
    receiving_before = receiving.seconds
    placement = make_loop(app, server, spamd, **DEFAULTS)
    body = {
        "name": f"Bench {delivery_mode}",
        "type": 1,
        "sending_method": 1,
        "delivery_mode": delivery_mode,
        "email_subject": "{{RANDOM | Quick idea | A quick idea}}",
        "email_body": "<p>Hi,</p><p>would a short call next week work?</p>",
        "emails": [SENDER],
    }
    response = await tenant.client.post(TESTS, json=body)
    assert response.status_code == 200, response.text
    test_id = response.json()["id"]
    start, phases, ticks = placement.clock.now(), dict[str, float](), 0
    try:
        while True:
            await tick(placement.loop, phases)
            ticks += 1
            if (await tenant.client.get(f"{TESTS}/{test_id}")).json()["status"] == 3:
                phases["(mail system's receiving, in send)"] = receiving.seconds - receiving_before
                return Timing(placement.clock.now() - start, phases, ticks)
            assert ticks < 12 * 60 * 4, "not completed after four simulated hours"
            placement.clock.advance(POLL)
    finally:
        await placement.loop.close()


async def test_placement_end_to_end(
    app: FastAPI, tenant: Tenant, spamd: Spamd, override_settings: OverrideSettings
) -> None:
    seeds = int(os.environ.get("BENCH_PLACEMENT_SEEDS", "20"))
    with serve_dns() as server:
        keys = serve_records(server)
        with seed_mail_system(server, sieve(JUNK, [])) as system:
            override_settings(dns_nameservers=[server.nameserver])
            await pool_account(tenant, system, SENDER)
            await set_dkim(app, tenant, SENDER, keys["alpha.test"])
            await register_seeds(tenant, system, seeds)
            wall = time.perf_counter()
            receiving = MailSystemClock(system)
            baseline = await one_test(app, tenant, (server, spamd, receiving), delivery_mode=2)
            one_by_one = await one_test(app, tenant, (server, spamd, receiving), delivery_mode=1)
            wall = time.perf_counter() - wall
    backend = os.environ["COLDSEND_TEST_BACKENDS"]
    print(f"\n{seeds} seeds, one sender, {backend}; the loop ticked every {POLL.seconds} s of simulated time")
    for name, timing in (("all together (baseline)", baseline), ("one by one", one_by_one)):
        minutes = timing.simulated.total_seconds() / 60
        print(
            f"  {name:24} end to end {minutes:6.1f} min simulated; "
            f"engine work {timing.engine_seconds:6.2f} s wall over {timing.ticks} ticks ("
            + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in timing.phases.items())
            + ")"
        )
    ratio = one_by_one.simulated / baseline.simulated
    print(f"  ratio one by one / all together: end to end {ratio:.1f}x, ", end="")
    print(f"engine work {one_by_one.engine_seconds / baseline.engine_seconds:.1f}x; bench wall {wall:.0f} s")
