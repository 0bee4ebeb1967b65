"""Replaying one tracking link cannot inflate a campaign's numbers: the first open (click) is the unique
one, a repeat counts again at most once per tracking_repeat_seconds, and analytics show both apart."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.models import Event, SendState
from coldsend.tracking import tokens
from tests.conftest import OverrideSettings, Tenant, client_for
from tests.tracking.test_router import SCHEDULE, STEPS, add_send, local, settings

LANDING = "https://example.com/offer"


@dataclass
class Tracked:
    tenant: Tenant
    campaign_id: str
    lead_id: str
    sent: uuid.UUID  # step 0 of the lead, sent


@pytest.fixture
async def tracked(app: FastAPI, tenant: Tenant) -> Tracked:
    response = await tenant.client.post(
        "/api/v2/campaigns",
        json={"name": "Replay", "campaign_schedule": SCHEDULE, "sequences": [{"steps": STEPS}]},
    )
    assert response.status_code == 200, response.text
    campaign_id = response.json()["id"]
    response = await tenant.client.post(
        "/api/v2/leads", json={"campaign": campaign_id, "email": "ann@lead.test"}
    )
    assert response.status_code == 200, response.text
    lead_id = response.json()["id"]
    sent = await add_send(app, tenant, campaign_id, lead_id, 0, SendState.SENT)
    return Tracked(tenant=tenant, campaign_id=campaign_id, lead_id=lead_id, sent=sent)


async def get_lead(tracked: Tracked) -> dict[str, Any]:
    response = await tracked.tenant.client.get(f"/api/v2/leads/{tracked.lead_id}")
    assert response.status_code == 200, response.text
    lead: dict[str, Any] = response.json()
    return lead


async def overview(tracked: Tracked) -> dict[str, Any]:
    response = await tracked.tenant.client.get(
        "/api/v2/campaigns/analytics/overview", params={"id": tracked.campaign_id}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def fetch(app: FastAPI, url: str, times: int) -> None:
    async with client_for(app) as anonymous:
        for _ in range(times):
            response = await anonymous.get(local(url))
            assert response.status_code in (200, 302), response.text


def urls(app: FastAPI, tracked: Tracked) -> tuple[str, str]:
    return (
        tokens.open_url(settings(app), tracked.sent),
        tokens.click_url(settings(app), tracked.sent, LANDING),
    )


async def age_counted_events(app: FastAPI, by: timedelta) -> None:
    """As if `by` had passed since the link was last counted (the router reads the wall clock)."""
    async with session_scope(app.state.sessionmaker) as session:
        for event in await session.scalars(select(Event).where(Event.timestamp_counted.is_not(None))):
            assert event.timestamp_counted is not None
            event.timestamp_counted -= by
            event.timestamp -= by


class TestReplay:
    async def test_21_fetches_count_one_open_and_one_click(self, app: FastAPI, tracked: Tracked) -> None:
        open_url, click_url = urls(app, tracked)
        await fetch(app, open_url, 21)
        await fetch(app, click_url, 21)
        counts = await overview(tracked)
        assert {name: counts[name] for name in counts if name.startswith(("open_", "link_click_"))} == {
            "open_count": 1,
            "open_count_unique": 1,
            "open_count_unique_by_step": 1,
            "link_click_count": 1,
            "link_click_count_unique": 1,
            "link_click_count_unique_by_step": 1,
        }
        lead = await get_lead(tracked)
        assert (lead["email_open_count"], lead["email_click_count"]) == (1, 1)
        campaigns = await tracked.tenant.client.get(
            "/api/v2/campaigns/analytics", params={"id": tracked.campaign_id}
        )
        (row,) = campaigns.json()
        assert (row["open_count"], row["open_count_unique"], row["link_click_count"]) == (1, 1, 1)

    async def test_a_repeat_after_the_window_counts_as_a_repeat_not_a_unique(
        self, app: FastAPI, tracked: Tracked, override_settings: OverrideSettings
    ) -> None:
        override_settings(tracking_repeat_seconds=600)
        open_url, click_url = urls(app, tracked)
        await fetch(app, open_url, 3)
        await fetch(app, click_url, 3)
        await age_counted_events(app, timedelta(seconds=601))
        await fetch(app, open_url, 5)
        await fetch(app, click_url, 5)
        counts = await overview(tracked)
        assert (counts["open_count"], counts["open_count_unique"], counts["open_count_unique_by_step"]) == (
            2,
            1,
            1,
        )
        assert (counts["link_click_count"], counts["link_click_count_unique"]) == (2, 1)
        lead = await get_lead(tracked)
        assert (lead["email_open_count"], lead["email_click_count"]) == (2, 2)
