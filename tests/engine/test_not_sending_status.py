"""A campaign's `not_sending_status` says why the scheduler planned nothing for it, as GET shows it."""

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import make_engine
from tests.factories import EVERY_DAY, create_sink_account, launch_campaign, schedule, step
from tests.smtp_sink import SmtpSink


async def not_sending(tenant: Tenant, campaign_id: str) -> Any:
    response = await tenant.client.get(f"/api/v2/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    return response.json()["not_sending_status"]


async def test_each_reason_and_none_once_done(app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink) -> None:
    await create_sink_account(tenant, smtp_sink, "roomy@ns.test", daily_limit=100, sending_gap=0)
    await create_sink_account(tenant, smtp_sink, "full@ns.test", daily_limit=1, sending_gap=0)
    engine = make_engine(app)
    today = str((engine.clock.now().isoweekday()) % 7)  # the spec's days: 0 is Sunday

    async def campaign(leads: int, account: str, steps: int = 1, **fields: Any) -> str:
        prefix = uuid.uuid4().hex[:8]
        sequence = [step(f"Step {n}", f"Step {n}") for n in range(steps)]
        addresses = [{"email": f"{prefix}-{n}@lead.test"} for n in range(leads)]
        campaign_id = await launch_campaign(tenant, [account], sequence, addresses, **fields)
        assert await not_sending(tenant, campaign_id) is None
        return campaign_id

    closed = await campaign(1, "roomy@ns.test", campaign_schedule=schedule(days={**EVERY_DAY, today: False}))
    capped = await campaign(2, "roomy@ns.test", daily_limit=1)
    accounts_full = await campaign(2, "full@ns.test")
    waiting = await campaign(1, "roomy@ns.test", steps=2)
    try:
        await engine.run()
        assert {
            "closed": await not_sending(tenant, closed),
            "capped": await not_sending(tenant, capped),
            "accounts_full": await not_sending(tenant, accounts_full),
            "waiting": await not_sending(tenant, waiting),
        } == {"closed": 1, "capped": 3, "accounts_full": 4, "waiting": 2}

        response = await tenant.client.post(f"/api/v2/campaigns/{capped}/pause")
        assert response.status_code == 200, response.text
        assert await not_sending(tenant, capped) is None

        await engine.advance(timedelta(days=1, minutes=1))  # the second step goes; the campaign completes
        await engine.run()
    finally:
        await engine.close()
    assert await not_sending(tenant, waiting) is None
