"""Subsequence and sending-account analytics over the history of tests/analytics/world.py."""

from typing import Any

from tests.analytics.world import A1, A2, World
from tests.conftest import MakeTenant
from tests.factories import create_offline_account

NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
TOO_LARGE = {
    "statusCode": 413,
    "error": "Payload Too Large",
    "message": "Analytics request is too large for this workspace. "
    "Add an emails filter or request a smaller date range.",
}


async def get(world: World, path: str, **params: Any) -> Any:
    response = await world.tenant.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestSubsequenceAnalytics:
    async def test_every_subsequence_of_the_campaign(self, world: World) -> None:
        assert await get(world, "/api/v2/subsequences/analytics", campaign_id=str(world.alpha)) == [
            {"subsequence_id": str(world.warm), "emails_sent": 1, "unique_opens": 1, "unique_replies": 0},
            {"subsequence_id": str(world.cold), "emails_sent": 0, "unique_opens": 0, "unique_replies": 0},
        ]
        assert await get(world, "/api/v2/subsequences/analytics", campaign_id=str(world.beta)) == []

    async def test_campaign_is_required_and_scoped(self, world: World) -> None:
        response = await world.tenant.client.get("/api/v2/subsequences/analytics")
        assert response.status_code == 400
        assert response.json()["message"] == "querystring must have required property 'campaign_id'"
        response = await world.tenant.client.get(
            "/api/v2/subsequences/analytics", params={"campaign_id": str(world.other_campaign)}
        )
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


class TestSubsequenceSteps:
    async def test_only_the_subsequences_own_activity(self, world: World) -> None:
        assert await get(world, f"/api/v2/subsequences/{world.warm}/analytics/steps") == [
            {
                "step": "0", "variant": "0", "sent": 1, "opened": 1, "unique_opened": 1, "replies": 0,
                "unique_replies": 0, "replies_automatic": 0, "unique_replies_automatic": 0, "clicks": 0,
                "unique_clicks": 0,
            }
        ]  # fmt: skip
        assert await get(world, f"/api/v2/subsequences/{world.cold}/analytics/steps") == []

    async def test_dates_are_whole_utc_days_both_included(self, world: World) -> None:
        path = f"/api/v2/subsequences/{world.warm}/analytics/steps"
        # Timestamps are normalised to their calendar date: 23:59 on Nov 4 still covers the whole day.
        on_the_day = await get(world, path, start_date="2026-11-04T23:59:00Z", end_date="2026-11-04")
        assert [row["sent"] for row in on_the_day] == [1]
        assert await get(world, path, end_date="2026-11-03") == []
        assert await get(world, path, start_date="2026-11-05") == []
        response = await world.tenant.client.get(
            path, params={"start_date": "2026-11-05", "end_date": "2026-11-04"}
        )
        assert response.status_code == 400
        assert response.json()["message"] == "Start Date must be earlier than End Date"

    async def test_another_workspaces_subsequence_is_404(self, world: World) -> None:
        response = await world.tenant.client.get(
            f"/api/v2/subsequences/{world.other_subsequence}/analytics/steps"
        )
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def account_day(date: str, email: str, **counts: int) -> dict[str, Any]:
    fields = (
        "sent bounced contacted new_leads_contacted opened unique_opened replies unique_replies "
        "replies_automatic unique_replies_automatic clicks unique_clicks"
    ).split()
    return {"date": date, "email_account": email, **dict.fromkeys(fields, 0), **counts}


ALICE = [
    account_day("2026-11-02", A1, sent=3, contacted=3, new_leads_contacted=3, opened=4, unique_opened=2,
                clicks=2, unique_clicks=1),
    account_day("2026-11-03", A1, sent=2, contacted=2, new_leads_contacted=1, opened=3, unique_opened=2,
                clicks=1, unique_clicks=1),
    account_day("2026-11-04", A1, sent=2, contacted=2, opened=1, unique_opened=1),
]  # fmt: skip
BOB = [
    account_day("2026-11-02", A2, sent=2, contacted=2, new_leads_contacted=2, replies_automatic=1,
                unique_replies_automatic=1),
    account_day("2026-11-03", A2, sent=1, bounced=1, contacted=1, opened=1, unique_opened=1, replies=2,
                unique_replies=1),
]  # fmt: skip
DAILY = "/api/v2/accounts/analytics/daily"
RANGE = {"start_date": "2026-11-01", "end_date": "2026-11-30"}


class TestDailyAccountAnalytics:
    async def test_per_day_and_account_with_subsequences(self, world: World) -> None:
        assert await get(world, DAILY, emails=[A1], **RANGE) == ALICE
        assert await get(world, DAILY, emails=[A2.upper()], **RANGE) == BOB

    async def test_every_account_without_a_filter(self, world: World) -> None:
        expected = sorted(ALICE + BOB, key=lambda row: (row["date"], row["email_account"]))
        assert await get(world, DAILY, **RANGE) == expected
        assert await get(world, DAILY, emails=f"{A1},{A2}", **RANGE) == expected
        assert await get(world, DAILY, emails=["nobody@sender.test"], **RANGE) == []

    async def test_range(self, world: World) -> None:
        assert await get(world, DAILY, emails=[A1], start_date="2026-11-03", end_date="2026-11-03") == [
            ALICE[1]
        ]
        assert await get(world, DAILY, emails=[A1], end_date="2026-11-02T18:00:00Z") == [ALICE[0]]

    async def test_range_limits(self, world: World) -> None:
        response = await world.tenant.client.get(
            DAILY, params={"start_date": "2026-10-01", "end_date": "2026-11-01"}
        )
        assert response.status_code == 413
        assert response.json() == {
            "statusCode": 413,
            "error": "Payload Too Large",
            "message": "Analytics request is too large: the date range is at most 31 days.",
        }
        response = await world.tenant.client.get(
            DAILY, params={"start_date": "2026-10-02", "end_date": "2026-11-01"}
        )
        assert response.status_code == 200
        response = await world.tenant.client.get(
            DAILY, params={"start_date": "2026-11-04", "end_date": "2026-11-02"}
        )
        assert response.status_code == 400
        assert response.json()["message"] == "Start Date must be earlier than End Date"

    async def test_bad_email_filters(self, world: World) -> None:
        response = await world.tenant.client.get(DAILY, params={"emails": ""})
        assert response.status_code == 400
        assert response.json()["message"] == "querystring/emails must NOT have fewer than 1 items"
        response = await world.tenant.client.get(DAILY, params={"emails": "a\x00@sender.test"})
        assert response.status_code == 400
        assert response.json()["message"] == "querystring/emails must not contain NUL characters"
        many = [f"a{n}@sender.test" for n in range(201)]
        response = await world.tenant.client.get(DAILY, params={"emails": many})
        assert response.status_code == 400
        assert response.json()["message"] == "querystring/emails must NOT have more than 200 items"

    async def test_large_workspace_needs_an_emails_filter(self, make_tenant: MakeTenant) -> None:
        tenant = await make_tenant()
        for n in range(201):
            await create_offline_account(tenant, f"box{n}@sender.test")
        response = await tenant.client.get(DAILY)
        assert response.status_code == 413
        assert response.json() == TOO_LARGE
        response = await tenant.client.get(DAILY, params={"emails": ["box1@sender.test"]})
        assert response.status_code == 200
        assert response.json() == []


class TestWarmupAnalytics:
    async def test_existing_accounts_have_no_warmup_yet(self, world: World) -> None:
        response = await world.tenant.client.post(
            "/api/v2/accounts/warmup-analytics",
            json={"emails": [A2.upper(), A1, "carol@other.test", "nobody@sender.test"]},
        )
        assert response.status_code == 200, response.text
        zero = {"sent": 0, "received": 0, "landed_inbox": 0, "landed_spam": 0}
        assert response.json() == {
            "email_date_data": {A1: {}, A2: {}},
            "aggregate_data": {A1: zero, A2: zero},
        }

    async def test_body_limits(self, world: World) -> None:
        for body, message in [
            ({}, "body must have required property 'emails'"),
            ({"emails": []}, "body/emails must NOT have fewer than 1 items"),
            ({"emails": ["a\x00@sender.test"]}, "body/emails/0 must not contain NUL characters"),
            (
                {"emails": [f"a{n}@x.test" for n in range(101)]},
                "body/emails must NOT have more than 100 items",
            ),
        ]:
            response = await world.tenant.client.post("/api/v2/accounts/warmup-analytics", json=body)
            assert response.status_code == 400
            assert response.json()["message"] == message
