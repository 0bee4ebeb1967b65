"""Campaign analytics over the constructed history of tests/analytics/world.py (read it first)."""

from typing import Any

import pytest
from fastapi import FastAPI

from tests.analytics.world import World
from tests.conftest import MakeKey, Tenant, client_for

BASE = "/api/v2/campaigns/analytics"
NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
ZERO_ENGAGEMENT = {
    "contacted_count": 0, "emails_sent_count": 0, "new_leads_contacted_count": 0,
    "open_count": 0, "open_count_unique": 0, "open_count_unique_by_step": 0,
    "reply_count": 0, "reply_count_unique": 0, "reply_count_unique_by_step": 0,
    "reply_count_automatic": 0, "reply_count_automatic_unique": 0, "reply_count_automatic_unique_by_step": 0,
    "link_click_count": 0, "link_click_count_unique": 0, "link_click_count_unique_by_step": 0,
    "bounced_count": 0, "hard_bounced_count": 0, "soft_bounced_count": 0,
    "complaint_count": 0, "unsubscribed_count": 0,
}  # fmt: skip


async def get(tenant: Tenant, path: str, **params: Any) -> Any:
    response = await tenant.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def alpha_all_time(world: World) -> dict[str, Any]:
    return {
        "campaign_name": "Alpha", "campaign_id": str(world.alpha), "campaign_status": 0,
        "campaign_is_evergreen": False, "leads_count": 6,
        "contacted_count": 5, "emails_sent_count": 8, "new_leads_contacted_count": 5,
        "open_count": 3, "open_count_unique": 3, "open_count_unique_by_step": 4,
        "reply_count": 2, "reply_count_unique": 1, "reply_count_unique_by_step": 1,
        "reply_count_automatic": 1, "reply_count_automatic_unique": 1,
        "reply_count_automatic_unique_by_step": 1,
        "link_click_count": 3, "link_click_count_unique": 2, "link_click_count_unique_by_step": 2,
        "bounced_count": 1, "hard_bounced_count": 1, "soft_bounced_count": 0,
        "complaint_count": 0, "unsubscribed_count": 1, "completed_count": 1,
        "total_opportunities": 2, "total_opportunity_value": 200,
    }  # fmt: skip


def beta_all_time(world: World) -> dict[str, Any]:
    return {
        "campaign_name": "Beta", "campaign_id": str(world.beta), "campaign_status": 0,
        "campaign_is_evergreen": False, "leads_count": 1, **ZERO_ENGAGEMENT,
        "contacted_count": 1, "emails_sent_count": 1, "new_leads_contacted_count": 1,
        "open_count": 1, "open_count_unique": 1, "open_count_unique_by_step": 1,
        "completed_count": 0, "total_opportunities": 0, "total_opportunity_value": 0,
    }  # fmt: skip


class TestCampaignAnalytics:
    async def test_every_campaign_of_the_workspace(self, world: World) -> None:
        body = await get(world.tenant, BASE)
        assert body == [alpha_all_time(world), beta_all_time(world)]

    async def test_one_campaign_by_id_and_by_ids(self, world: World) -> None:
        assert await get(world.tenant, BASE, id=str(world.beta)) == [beta_all_time(world)]
        both = await get(world.tenant, BASE, ids=[str(world.beta), str(world.alpha)])
        assert [row["campaign_name"] for row in both] == ["Alpha", "Beta"]
        assert await get(world.tenant, BASE, ids=f"{world.alpha},{world.beta}") == both

    async def test_one_utc_day(self, world: World) -> None:
        [alpha] = await get(
            world.tenant, BASE, id=str(world.alpha), start_date="2026-11-03", end_date="2026-11-03"
        )
        assert alpha == {
            **alpha_all_time(world),
            "contacted_count": 3, "emails_sent_count": 3, "new_leads_contacted_count": 1,
            "open_count": 3, "open_count_unique": 3, "open_count_unique_by_step": 3,
            "reply_count": 2, "reply_count_unique": 1, "reply_count_unique_by_step": 1,
            "reply_count_automatic": 0, "reply_count_automatic_unique": 0,
            "reply_count_automatic_unique_by_step": 0,
            "link_click_count": 1, "link_click_count_unique": 1, "link_click_count_unique_by_step": 1,
            "bounced_count": 1, "hard_bounced_count": 1, "soft_bounced_count": 0,
            "complaint_count": 0, "unsubscribed_count": 0,
            "total_opportunities": 1, "total_opportunity_value": 100,
        }  # fmt: skip

    async def test_timestamps_bound_the_range_end_included(self, world: World) -> None:
        [alpha] = await get(
            world.tenant, BASE, id=str(world.alpha),
            start_date="2026-11-02T12:00:00.000Z", end_date="2026-11-03T09:00:00.000Z",
        )  # fmt: skip
        assert {key: alpha[key] for key in ZERO_ENGAGEMENT} == {
            **ZERO_ENGAGEMENT,
            "contacted_count": 1, "emails_sent_count": 1, "new_leads_contacted_count": 1,
            "open_count": 2, "open_count_unique": 2, "open_count_unique_by_step": 2,
            "link_click_count": 2, "link_click_count_unique": 1, "link_click_count_unique_by_step": 1,
        }  # fmt: skip

    async def test_exclude_total_leads_count(self, world: World) -> None:
        [beta] = await get(world.tenant, BASE, id=str(world.beta), exclude_total_leads_count="true")
        expected = beta_all_time(world)
        del expected["leads_count"]
        assert beta == expected

    async def test_another_workspaces_campaign_is_404(self, world: World) -> None:
        for params in (
            {"id": str(world.other_campaign)},
            {"ids": [str(world.alpha), str(world.other_campaign)]},
        ):
            response = await world.tenant.client.get(BASE, params=params)
            assert response.status_code == 404, response.text
            assert response.json() == NOT_FOUND
        [other] = await get(world.other, BASE)
        assert other["emails_sent_count"] == 1
        assert other["total_opportunity_value"] == 50

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            (
                {"start_date": "2026-13-01"},
                "querystring/start_date must be a date (YYYY-MM-DD) or an ISO 8601 timestamp",
            ),
            (
                {"end_date": "yesterday"},
                "querystring/end_date must be a date (YYYY-MM-DD) or an ISO 8601 timestamp",
            ),
            (
                {"start_date": "2026-11-04", "end_date": "2026-11-03"},
                "Start Date must be earlier than End Date",
            ),
            ({"end_date": "9999-12-31"}, "querystring/end_date must be between the years 1900 and 8999"),
            ({"id": "not-a-uuid"}, 'querystring/id must match format "uuid"'),
            ({"ids": "x"}, 'querystring/ids must match format "uuid"'),
        ],
    )
    async def test_bad_filters_are_400(self, world: World, params: dict[str, str], message: str) -> None:
        response = await world.tenant.client.get(BASE, params=params)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_read_scope_is_enough(self, app: FastAPI, world: World, make_key: MakeKey) -> None:
        key = await make_key(world.tenant.workspace_id, ["campaigns:read"])
        async with client_for(app, key) as client:
            response = await client.get(BASE, params={"id": str(world.beta)})
        assert response.json() == [beta_all_time(world)]


class TestOverview:
    async def test_all_campaigns(self, world: World) -> None:
        assert await get(world.tenant, f"{BASE}/overview") == {
            "open_count": 8, "open_count_unique": 4, "open_count_unique_by_step": 5,
            "link_click_count": 3, "link_click_count_unique": 2, "link_click_count_unique_by_step": 2,
            "reply_count": 2, "reply_count_unique": 1, "reply_count_unique_by_step": 1,
            "reply_count_automatic": 1, "reply_count_automatic_unique": 1,
            "reply_count_automatic_unique_by_step": 1,
            "bounced_count": 1, "hard_bounced_count": 1, "soft_bounced_count": 0,
            "complaint_count": 0, "unsubscribed_count": 1, "completed_count": 1,
            "emails_sent_count": 9, "contacted_count": 6, "new_leads_contacted_count": 6,
            "total_opportunities": 2, "total_opportunity_value": 200,
            "total_interested": 1, "total_meeting_booked": 0, "total_meeting_completed": 0, "total_closed": 1,
        }  # fmt: skip

    async def test_by_id_and_range(self, world: World) -> None:
        body = await get(world.tenant, f"{BASE}/overview", id=str(world.alpha), start_date="2026-11-04")
        assert body["emails_sent_count"] == 1
        assert body["open_count"] == 0
        assert body["unsubscribed_count"] == 1
        assert body["total_closed"] == 1
        assert body["total_interested"] == 0
        assert body["total_opportunity_value"] == 100
        assert body["completed_count"] == 1

    async def test_campaign_status_filter(self, world: World) -> None:
        drafts = await get(world.tenant, f"{BASE}/overview", campaign_status=0)
        assert drafts["emails_sent_count"] == 9
        paused = await get(world.tenant, f"{BASE}/overview", campaign_status=2)
        assert set(paused.values()) == {0}
        response = await world.tenant.client.get(f"{BASE}/overview", params={"campaign_status": 7})
        assert response.status_code == 400

    async def test_another_workspaces_campaign_is_404(self, world: World) -> None:
        response = await world.tenant.client.get(f"{BASE}/overview", params={"id": str(world.other_campaign)})
        assert response.status_code == 404


def day(date: str, **counts: int) -> dict[str, Any]:
    fields = (
        "sent contacted new_leads_contacted opened unique_opened replies unique_replies replies_automatic "
        "unique_replies_automatic clicks unique_clicks opportunities unique_opportunities"
    ).split()
    return {"date": date, **dict.fromkeys(fields, 0), **counts}


class TestDaily:
    async def test_one_campaign(self, world: World) -> None:
        assert await get(world.tenant, f"{BASE}/daily", campaign_id=str(world.alpha)) == [
            day("2026-11-02", sent=4, contacted=4, new_leads_contacted=4, opened=3, unique_opened=1,
                replies_automatic=1, unique_replies_automatic=1, clicks=2, unique_clicks=1),
            day("2026-11-03", sent=3, contacted=3, new_leads_contacted=1, opened=4, unique_opened=3,
                replies=2, unique_replies=1, clicks=1, unique_clicks=1, opportunities=1,
                unique_opportunities=1),
            day("2026-11-04", sent=1, contacted=1, opportunities=1, unique_opportunities=1),
        ]  # fmt: skip

    async def test_all_campaigns_in_a_range(self, world: World) -> None:
        assert await get(world.tenant, f"{BASE}/daily", start_date="2026-11-02", end_date="2026-11-02") == [
            day("2026-11-02", sent=5, contacted=5, new_leads_contacted=5, opened=4, unique_opened=2,
                replies_automatic=1, unique_replies_automatic=1, clicks=2, unique_clicks=1),
        ]  # fmt: skip
        assert await get(world.tenant, f"{BASE}/daily", start_date="2026-11-05") == []

    async def test_status_filter_and_404(self, world: World) -> None:
        assert await get(world.tenant, f"{BASE}/daily", campaign_status=1) == []
        response = await world.tenant.client.get(
            f"{BASE}/daily", params={"campaign_id": str(world.other_campaign)}
        )
        assert response.status_code == 404


def step(step: str | None, variant: str | None, **counts: int) -> dict[str, Any]:
    fields = (
        "sent opened unique_opened replies unique_replies replies_automatic unique_replies_automatic "
        "clicks unique_clicks"
    ).split()
    return {"step": step, "variant": variant, **dict.fromkeys(fields, 0), **counts}


ALPHA_STEPS = [
    step("0", "0", sent=3, opened=4, unique_opened=2, clicks=3, unique_clicks=2),
    step("0", "1", sent=2, opened=1, unique_opened=1, replies=2, unique_replies=1, replies_automatic=1,
         unique_replies_automatic=1),
    step("1", "0", sent=3, opened=2, unique_opened=1),
]  # fmt: skip


class TestSteps:
    async def test_by_step_and_variant(self, world: World) -> None:
        assert await get(world.tenant, f"{BASE}/steps", campaign_id=str(world.alpha)) == ALPHA_STEPS

    async def test_with_opportunities(self, world: World) -> None:
        body = await get(
            world.tenant, f"{BASE}/steps", campaign_id=str(world.alpha), include_opportunities_count="true"
        )
        none = {"opportunities": 0, "unique_opportunities": 0, "meetings_booked": 0, "won": 0}
        assert body == [
            {**ALPHA_STEPS[0], **none},
            {**ALPHA_STEPS[1], **none, "opportunities": 1, "unique_opportunities": 1},
            {**ALPHA_STEPS[2], **none},
            {**step(None, None), **none, "opportunities": 1, "unique_opportunities": 1, "won": 1},
        ]

    async def test_range_and_all_campaigns(self, world: World) -> None:
        assert await get(world.tenant, f"{BASE}/steps", start_date="2026-11-04") == [step("1", "0", sent=1)]
        everything = await get(world.tenant, f"{BASE}/steps")
        assert everything[0] == step("0", "0", sent=4, opened=5, unique_opened=3, clicks=3, unique_clicks=2)
        assert everything[1:] == ALPHA_STEPS[1:]

    async def test_another_workspaces_campaign_is_404(self, world: World) -> None:
        response = await world.tenant.client.get(
            f"{BASE}/steps", params={"campaign_id": str(world.other_campaign)}
        )
        assert response.status_code == 404
