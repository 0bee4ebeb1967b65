"""Acceptance: an automated test runs on its schedule over simulated days; its placement (4 of 6 copies in
the inbox) is below the automation's threshold, so each run pauses the campaign sending from its account
for two days (acting once per run, recorded), and the campaign sends again when they are up. Its
webhook action calls the automation's `webhook_url` (a receiver on loopback): a failed call is tried again
on the webhook schedule, and each attempt is in the webhook delivery log. The Spamhaus DQS key is used for
the Spamhaus zone and shows in no response and no log line."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from coldsend.db.session import session_scope
from coldsend.models import PlacementAutomationRun, PlacementRun, RunState
from tests.conftest import OverrideSettings, Tenant
from tests.engine.sending import campaign_status
from tests.factories import launch_campaign, step
from tests.placement.spamd import Spamd
from tests.placement.world import TESTS, Placement, build, make_loop, placement_world
from tests.webhook_receiver import Receiver, receiver

DQS_KEY = "dqsKey0123456789abcdef"
SENDER = "al@alpha.test"
SCHEDULE = {
    "days": {str(day): True for day in range(7)},
    "timing": {"from": "10:00"},
    "timezone": "Africa/Abidjan",
}
HOOK = "/placement-hook"


def automation(hook_url: str) -> dict[str, object]:
    return {
        "when": {"condition": "placement_goes_below", "condition_value": 90},
        "then": {"pause_sending_campaigns_for": 2, "webhook_url": hook_url},
    }


async def runs_done(app: FastAPI, test_id: str) -> int:
    async with session_scope(app.state.sessionmaker) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(PlacementRun)
            .where(PlacementRun.state == RunState.DONE, PlacementRun.test_id == uuid.UUID(test_id))
        )
    return int(count or 0)


async def next_run(tenant: Tenant, test_id: str) -> datetime:
    test = (await tenant.client.get(f"{TESTS}/{test_id}")).json()
    return datetime.fromisoformat(test["timestamp_next_run"].replace("Z", "+00:00"))


async def run_once(app: FastAPI, tenant: Tenant, placement: Placement, test_id: str) -> datetime:
    """Jump to the test's next run and tick a minute at a time until that run is done; when it ran."""
    done = await runs_done(app, test_id)
    start = await next_run(tenant, test_id)
    placement.clock.current = start
    for _ in range(60):
        await placement.tick()
        if await runs_done(app, test_id) > done:
            return start
    raise AssertionError(f"the run of {start} was not done after an hour")


async def check_webhook_calls(tenant: Tenant, hooks: Receiver, test_id: str, run_ids: list[str]) -> None:
    """The first run's call failed (503) and went again with the second run's: one call per run reached
    the URL, each attempt is in the delivery log, and a retry has the first attempt's webhook-id."""
    calls = hooks.requests(HOOK)
    assert [call.status for call in calls] == [503, 204, 204]
    assert sorted(call.json()["run_id"] for call in calls[1:]) == sorted(run_ids)
    for call in calls:
        assert call.json()["event_type"] == "inbox_placement_automation"
        assert (call.json()["test_id"], call.json()["condition"]) == (test_id, "placement_goes_below")
    retried = [call for call in calls if call.json()["run_id"] == calls[0].json()["run_id"]]
    assert len({call.headers["webhook-id"] for call in retried}) == 1
    logged = (await tenant.client.get("/api/v2/webhook-events", params={"limit": 10})).json()["items"]
    assert sorted((event["success"], event["status_code"]) for event in logged) == [
        (False, 503),
        (True, 204),
        (True, 204),
    ]
    assert {event["webhook_url"] for event in logged} == {hooks.url(HOOK)}


async def test_automated_test_pauses_the_campaign(
    app: FastAPI,
    tenant: Tenant,
    spamd: Spamd,
    override_settings: OverrideSettings,
    caplog: object,
) -> None:
    caplog.set_level(logging.INFO, logger="coldsend")  # type: ignore[attr-defined]
    with placement_world() as (server, system, keys), receiver(verify=False) as hooks:
        override_settings(dns_nameservers=[server.nameserver])
        await build(app, tenant, system, keys)
        hooks.answer(HOOK, status=503)  # down for the first run's call
        campaign_id = await launch_campaign(
            tenant, [SENDER], [step("Hi {{firstName}}", "Hello")], [{"email": "lee@prospects.test"}]
        )
        body = {
            "name": "Daily placement",
            "type": 2,
            "sending_method": 1,
            "delivery_mode": 2,
            "email_subject": "Hello",
            "email_body": "Hi there, a short question.",
            "emails": [SENDER],
            "schedule": SCHEDULE,
            "automations": [automation(hooks.url(HOOK))],
        }
        response = await tenant.client.post(TESTS, json=body)
        assert response.status_code == 200, response.text
        test_id = response.json()["id"]
        placement = make_loop(
            app,
            server,
            spamd,
            placement_missing_minutes=10.0,
            placement_spamhaus_dqs_key=SecretStr(DQS_KEY),
            webhook_allow_private=True,
        )
        try:
            first = await run_once(app, tenant, placement, test_id)
            assert await campaign_status(tenant, campaign_id) == 2  # paused by the automation
            assert [call.status for call in hooks.requests(HOOK)] == [503]
            hooks.answer(HOOK, status=204)
            second = await run_once(app, tenant, placement, test_id)
            assert second - first == timedelta(days=1)
            assert await campaign_status(tenant, campaign_id) == 2
            assert await next_run(tenant, test_id) == second + timedelta(days=1)
            async with session_scope(app.state.sessionmaker) as session:
                fired = list(
                    await session.scalars(
                        select(PlacementAutomationRun).where(
                            PlacementAutomationRun.test_id == uuid.UUID(test_id)
                        )
                    )
                )
            assert len(fired) == 2  # once per run
            await check_webhook_calls(tenant, hooks, test_id, [str(record.run_id) for record in fired])
            assert all(record.value is not None and round(record.value, 2) == 66.67 for record in fired)
            [pausing] = [record for record in fired if record.paused_campaigns]
            assert pausing.paused_campaigns == [campaign_id]
            assert pausing.resume_at is not None
            resume_at = pausing.resume_at.replace(tzinfo=UTC)  # stored in UTC (SQLite hands it back naive)
            placement.clock.current = resume_at - timedelta(minutes=5)
            await placement.tick()
            assert await campaign_status(tenant, campaign_id) == 2
            placement.clock.current = resume_at
            await placement.tick()
            assert await campaign_status(tenant, campaign_id) == 1  # two days are up: sending again
        finally:
            await placement.loop.close()
        by_date = await tenant.client.post(
            "/api/v2/inbox-placement-analytics/stats-by-date", json={"test_id": test_id}
        )
        days = by_date.json()
        # Two runs read to the end, and the third day's run, started on schedule at the last tick.
        assert [(day["sent_count"], day["inbox_count"], day["spam_count"]) for day in days[:2]] == [
            (6, 4, 2)
        ] * 2
        assert [day["sent_count"] for day in days[2:]] == [6]
        reports = await tenant.client.get("/api/v2/inbox-placement-reports", params={"test_id": test_id})
        for report in reports.json()["items"]:
            [spamhaus] = [
                item
                for item in report["blacklist_report"]["details"]
                if item["blacklist"] == "zen.spamhaus.org"
            ]
            assert spamhaus["checked"] is True  # asked through DQS: the test DNS server knows no listing
            assert DQS_KEY not in reports.text
    assert any(f"{DQS_KEY.lower()}.zen.dq.spamhaus.net" in name for name, _type in server.records.queries)
    assert DQS_KEY not in caplog.text  # type: ignore[attr-defined]
