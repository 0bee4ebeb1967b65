"""`GET /campaigns/{id}/sending-status` and the campaign's `not_sending_status` give one verdict: the
scheduler's, for every reason a campaign is not sending, and the last send shows as the last healthy one."""

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from coldsend.clock import iso_z
from tests.conftest import Tenant
from tests.engine.sending import make_engine, real_now, sent_at
from tests.factories import (
    EVERY_DAY,
    activate,
    create_campaign,
    create_sink_account,
    launch_campaign,
    schedule,
    step,
)
from tests.smtp_sink import SmtpSink


async def verdict(tenant: Tenant, campaign_id: str) -> tuple[Any, Any]:
    """(not_sending_status, sending-status' status), both as the API shows them."""
    response = await tenant.client.get(f"/api/v2/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    note = response.json()["not_sending_status"]
    response = await tenant.client.get(f"/api/v2/campaigns/{campaign_id}/sending-status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["diagnostics"]["status"] == body["summary"]["status"]
    return note, body["summary"]["status"]


async def sending_status(tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v2/campaigns/{campaign_id}/sending-status")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def campaign(tenant: Tenant, leads: int, account: str, steps: int = 1, **fields: Any) -> str:
    prefix = uuid.uuid4().hex[:8]
    sequence = [step(f"Step {n}", f"Step {n}") for n in range(steps)]
    addresses = [{"email": f"{prefix}-{n}@lead.test"} for n in range(leads)]
    if addresses:
        return await launch_campaign(tenant, [account], sequence, addresses, **fields)
    fields.setdefault("campaign_schedule", schedule())
    created = await create_campaign(tenant, sequences=[{"steps": sequence}], email_list=[account], **fields)
    await activate(tenant, str(created["id"]))
    return str(created["id"])


async def test_both_fields_agree_for_each_reason(app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink) -> None:
    await create_sink_account(tenant, smtp_sink, "roomy@sv.test", daily_limit=100, sending_gap=0)
    await create_sink_account(tenant, smtp_sink, "full@sv.test", daily_limit=1, sending_gap=0)
    await create_sink_account(tenant, smtp_sink, "broken@sv.test", daily_limit=100, sending_gap=0)
    smtp_sink.users["broken@sv.test"] = "changed-on-the-server"
    engine = make_engine(app, start=real_now())
    today = str(engine.clock.now().isoweekday() % 7)  # the spec's days: 0 is Sunday

    campaigns = {
        "window closed": await campaign(
            tenant, 1, "roomy@sv.test", campaign_schedule=schedule(days={**EVERY_DAY, today: False})
        ),
        "campaign daily limit": await campaign(tenant, 2, "roomy@sv.test", daily_limit=1),
        "accounts daily limit": await campaign(tenant, 2, "full@sv.test"),
        "account error": await campaign(tenant, 2, "broken@sv.test"),
        "no leads": await campaign(tenant, 0, "roomy@sv.test"),
        "follow-up delay": await campaign(tenant, 1, "roomy@sv.test", steps=2),
    }
    try:
        await engine.run()
        found = {reason: await verdict(tenant, campaign_id) for reason, campaign_id in campaigns.items()}
    finally:
        await engine.close()
    assert found == {
        "window closed": (1, "out_of_schedule"),
        "campaign daily limit": (3, "daily_limit_met"),
        "accounts daily limit": (4, "account_daily_limit_met"),
        "account error": (99, "all_accounts_unhealthy"),
        "no leads": (2, "waiting_for_leads"),
        "follow-up delay": (2, "follow_up_delay_not_met"),
    }
    broken = await sending_status(tenant, campaigns["account error"])
    assert broken["diagnostics"]["accounts_summary"]["unavailable"]["disconnected"] == 1
    assert "paused or in error" in broken["summary"]["status_message"]
    capped = await sending_status(tenant, campaigns["campaign daily limit"])
    assert capped["diagnostics"]["campaign_daily_limit"] == {"limit": 1, "sent": 1, "limit_hit": True}


async def test_the_sending_gap_is_named_and_the_last_send_is_healthy(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "paced@sv.test", daily_limit=100, sending_gap=10)
    campaign_id = await campaign(tenant, 3, "paced@sv.test")
    engine = make_engine(app, start=real_now())
    try:
        await engine.run()
        assert len(smtp_sink.received) == 1  # the others wait for the account's 10-minute gap
        assert await verdict(tenant, campaign_id) == (2, "healthy")
        body = await sending_status(tenant, campaign_id)
        assert body["diagnostics"]["accounts_summary"]["unavailable"]["global_gap_not_met"] == 1
        assert body["diagnostics"]["accounts_summary"]["available"] == 0
        assert "sending gap" in body["summary"]["status_message"]
        assert "paced@sv.test 10 min" in body["summary"]["status_message"]
        first = iso_z(sent_at(smtp_sink.received[0]))
        assert body["summary"]["last_healthy_send_at"] == first
        assert body["diagnostics"]["issue_tracking"]["last_healthy_send_at"] == first

        await engine.advance(timedelta(minutes=10))
        assert len(smtp_sink.received) == 2
    finally:
        await engine.close()
    body = await sending_status(tenant, campaign_id)
    assert body["summary"]["last_healthy_send_at"] == iso_z(sent_at(smtp_sink.received[1]))
