"""Automations on blacklist changes, and the actions on the sending accounts: the first run finds the
sending domain on the local domain blacklist (added: tag the account, slow ramp on), the second finds it
gone (removed: untag it, slow ramp off). Every copy is missing (the seed cannot be read), so placement is
0 %: "below 50" fires in each run, "above 50" never does. Each firing is recorded once per run."""

import uuid
from collections import Counter
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from coldsend.clock import ManualClock
from coldsend.db.session import session_scope
from coldsend.engine.placement_loop import PlacementLoop
from coldsend.engine.serial import EngineLock
from coldsend.models import CustomTagMapping, PlacementAutomationRun
from tests.conftest import Tenant
from tests.dns_server import serve_dns
from tests.factories import create_sink_account
from tests.imap_server import _free_port
from tests.placement.test_automated import next_run, runs_done
from tests.placement.world import TESTS, loop_start
from tests.smtp_sink import SmtpSink

SENDER = "al@acme.test"
LISTING = "acme.test.dbl.test"
EVERY_DAY = {
    "days": {str(day): True for day in range(7)},
    "timing": {"from": "10:00"},
    "timezone": "Etc/GMT+12",
}


async def new_tag(tenant: Tenant, label: str) -> str:
    tag: str = (await tenant.client.post("/api/v2/custom-tags", json={"label": label})).json()["id"]
    return tag


async def sender_state(app: FastAPI, tenant: Tenant) -> tuple[bool, set[str]]:
    """The sending account's slow ramp and its tags."""
    account = (await tenant.client.get(f"/api/v2/accounts/{SENDER}")).json()
    async with session_scope(app.state.sessionmaker) as session:
        tags = set(
            await session.scalars(
                select(CustomTagMapping.tag_id).where(CustomTagMapping.workspace_id == tenant.workspace_id)
            )
        )
    return bool(account["enable_slow_ramp"]), {str(tag) for tag in tags}


async def fired(app: FastAPI, test_id: str) -> Counter[int]:
    async with session_scope(app.state.sessionmaker) as session:
        rows = await session.scalars(
            select(PlacementAutomationRun.automation).where(
                PlacementAutomationRun.test_id == uuid.UUID(test_id)
            )
        )
        return Counter(rows)


async def test_blacklist_automations_act_on_the_sending_accounts(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, SENDER)
    seed = {"email": "one@seeds.test", "esp": "Google", "imap_host": "127.0.0.1", "imap_port": _free_port()}
    assert (
        await tenant.client.post(f"{TESTS}/seeds", json={**seed, "imap_password": "x"})
    ).status_code == 200
    listed, low = await new_tag(tenant, "blacklisted"), await new_tag(tenant, "low placement")
    automations = [
        {
            "when": {"condition": "added_to_blacklists"},
            "then": {"add_tags": [listed], "enable_slow_ramp": True},
        },
        {
            "when": {"condition": "removed_from_blacklists"},
            "then": {"remove_tags": [listed], "disable_slow_ramp": True},
        },
        {"when": {"condition": "placement_goes_above", "condition_value": 50}, "then": {"pause": True}},
        {"when": {"condition": "placement_goes_below", "condition_value": 50}, "then": {"add_tags": [low]}},
    ]
    body = {
        "name": "Blacklist watch",
        "type": 2,
        "sending_method": 1,
        "delivery_mode": 2,
        "email_subject": "Hello",
        "email_body": "Hi",
        "emails": [SENDER],
        "schedule": EVERY_DAY,
        "automations": automations,
    }
    response = await tenant.client.post(TESTS, json=body)
    assert response.status_code == 200, response.text
    test_id = response.json()["id"]
    assert await sender_state(app, tenant) == (False, set())
    with serve_dns() as dns:
        dns.add(LISTING, "A", "127.0.1.2")
        settings = app.state.settings.model_copy(
            update={
                "dns_nameservers": [dns.nameserver],
                "placement_ip_blacklists": [],
                "placement_domain_blacklists": ["dbl.test"],
                "placement_missing_minutes": 2.0,
                "placement_spamd_port": _free_port(),
            }
        )
        clock = ManualClock(loop_start())
        lock = EngineLock(settings.effective_database_url())
        loop = PlacementLoop(
            settings, app.state.sessionmaker, clock, lock, worker_id=f"auto:{uuid.uuid4().hex[:6]}"
        )
        try:
            for run in (1, 2):
                clock.current = await next_run(tenant, test_id)
                for _ in range(10):
                    await loop.tick()
                    if await runs_done(app, test_id) == run:
                        break
                    clock.advance(timedelta(minutes=1))
                assert await runs_done(app, test_id) == run
                if run == 1:
                    assert await fired(app, test_id) == Counter({0: 1, 3: 1})
                    assert await sender_state(app, tenant) == (True, {listed, low})
                    dns.remove(LISTING)
            assert await fired(app, test_id) == Counter({0: 1, 1: 1, 3: 2})
            assert await sender_state(app, tenant) == (False, {low})
        finally:
            await loop.close()
