"""The delivery log over HTTP: its rows are written as the dispatcher writes them (tests/factories.py)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from coldsend.clock import iso_z
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import add_webhook_event, create_webhook
from tests.pages import collect_pages

EVENTS = "/api/v2/webhook-events"
FIELDS = {
    "id",
    "timestamp_created",
    "timestamp_created_date",
    "organization_id",
    "payload",
    "success",
    "retry_count",
    "will_retry",
    "webhook_url",
    "status_code",
    "error_message",
    "timestamp_next_retry",
    "retry_group_id",
    "retry_successful",
    "lead_email",
    "response_time_ms",
}
DAY = datetime(2026, 12, 3, tzinfo=UTC)
NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}


def assert_400(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


async def ids(tenant: Tenant, **params: Any) -> list[str]:
    response = await tenant.client.get(EVENTS, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestListWebhookEvent:
    async def test_shape(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        delivery = uuid.uuid4()
        when = DAY + timedelta(hours=23, minutes=59, seconds=59, milliseconds=123)
        first = await add_webhook_event(
            app,
            webhook,
            success=False,
            created=when,
            delivery_id=delivery,
            lead_email="lead@prospect.example.com",
            will_retry=True,
            status_code=None,
            error_message="Connection refused",
            timestamp_next_retry=when + timedelta(seconds=5),
            response_time_ms=None,
            payload={"event_type": "email_sent", "lead_email": "lead@prospect.example.com", "plan": "pro"},
        )
        retry = await add_webhook_event(
            app,
            webhook,
            created=when + timedelta(seconds=5),
            delivery_id=delivery,
            retry_count=1,
            retry_successful=True,
        )
        response = await tenant.client.get(EVENTS)
        assert response.status_code == 200, response.text
        assert "next_starting_after" not in response.json()
        newest, oldest = response.json()["items"]
        assert (newest["id"], oldest["id"]) == (str(retry), str(first))
        assert set(oldest) == FIELDS
        assert oldest == {
            "id": str(first),
            "timestamp_created": iso_z(when),
            "timestamp_created_date": "2026-12-03",
            "organization_id": str(tenant.workspace_id),
            "payload": {"event_type": "email_sent", "lead_email": "lead@prospect.example.com", "plan": "pro"},
            "success": False,
            "retry_count": 0,
            "will_retry": True,
            "webhook_url": webhook["target_hook_url"],
            "status_code": None,
            "error_message": "Connection refused",
            "timestamp_next_retry": iso_z(when + timedelta(seconds=5)),
            "retry_group_id": str(delivery),
            "retry_successful": None,
            "lead_email": "lead@prospect.example.com",
            "response_time_ms": None,
        }
        assert newest["timestamp_created_date"] == "2026-12-04"
        assert (newest["retry_count"], newest["retry_successful"], newest["retry_group_id"]) == (
            1,
            True,
            str(delivery),
        )
        assert (await tenant.client.get(f"{EVENTS}/{first}")).json() == oldest

    async def test_pages_newest_first_each_row_once(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        webhook = await create_webhook(tenant)
        # Written out of order, and three of them in the same millisecond.
        times = [DAY + timedelta(minutes=m) for m in (5, 1, 3, 3, 3, 9, 0)]
        written = [await add_webhook_event(app, webhook, created=when) for when in times]
        await add_webhook_event(app, await create_webhook(await make_tenant()), created=DAY)
        items, pages = await collect_pages(tenant.client, EVENTS, limit=2)
        assert pages == 4
        expected = sorted(zip(times, written, strict=True), key=lambda pair: (pair[0], pair[1]), reverse=True)
        assert [item["id"] for item in items] == [str(event) for _when, event in expected]

    async def test_success_filter(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        good = await add_webhook_event(app, webhook, created=DAY)
        bad = await add_webhook_event(app, webhook, success=False, created=DAY + timedelta(minutes=1))
        assert await ids(tenant, success="true") == [str(good)]
        assert await ids(tenant, success="false") == [str(bad)]
        assert await ids(tenant) == [str(bad), str(good)]
        assert_400(
            await tenant.client.get(EVENTS, params={"success": "maybe"}),
            "querystring/success must be boolean",
        )

    async def test_window_of_inclusive_days_or_instants(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        before = await add_webhook_event(app, webhook, created=DAY - timedelta(milliseconds=1))
        start = await add_webhook_event(app, webhook, created=DAY)
        end = await add_webhook_event(app, webhook, created=DAY + timedelta(days=1, milliseconds=-1))
        after = await add_webhook_event(app, webhook, created=DAY + timedelta(days=1))
        assert await ids(tenant, **{"from": "2026-12-03", "to": "2026-12-03"}) == [str(end), str(start)]
        assert await ids(tenant, **{"from": "2026-12-04"}) == [str(after)]
        assert await ids(tenant, to="2026-12-02") == [str(before)]
        assert await ids(tenant, **{"from": "2026-12-03T00:00:00.001Z", "to": "2026-12-04T00:00:00Z"}) == [
            str(after),
            str(end),
        ]
        assert await ids(tenant, **{"from": "2026-12-03T01:00:00+01:00", "to": "2026-12-03T00:00:00Z"}) == [
            str(start)
        ]

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"from": "03/12/2026"}, "querystring/from must be a date (YYYY-MM-DD) or an ISO 8601 timestamp"),
            ({"to": "soon"}, "querystring/to must be a date (YYYY-MM-DD) or an ISO 8601 timestamp"),
            ({"from": "2026-12-04", "to": "2026-12-03"}, "Start Date must be earlier than End Date"),
            (
                {"starting_after": str(uuid.uuid4())},
                "querystring/starting_after must be the id of one of this workspace's webhook events",
            ),
            ({"starting_after": "x"}, 'querystring/starting_after must match format "uuid"'),
            ({"limit": 0}, "querystring/limit must be >= 1"),
        ],
    )
    async def test_bad_parameters_are_400(self, tenant: Tenant, params: dict[str, Any], message: str) -> None:
        assert_400(await tenant.client.get(EVENTS, params=params), message)

    async def test_search_by_exact_url_or_lead_email(self, app: FastAPI, tenant: Tenant) -> None:
        first = await create_webhook(tenant, target_hook_url="https://hooks.example.com/one")
        second = await create_webhook(tenant, target_hook_url="https://hooks.example.com/two")
        to_first = await add_webhook_event(app, first, created=DAY, lead_email="ann@prospect.example.com")
        to_second = await add_webhook_event(
            app, second, created=DAY + timedelta(minutes=1), lead_email="bob@prospect.example.com"
        )
        no_lead = await add_webhook_event(app, second, created=DAY + timedelta(minutes=2))
        assert await ids(tenant, search="https://hooks.example.com/one") == [str(to_first)]
        assert await ids(tenant, search="https://hooks.example.com/two") == [str(no_lead), str(to_second)]
        assert await ids(tenant, search=" Bob@Prospect.example.com ") == [str(to_second)]
        assert await ids(tenant, search="https://hooks.example.com/") == []
        assert await ids(tenant, search="prospect.example.com") == []
        assert await ids(tenant, search="https://hooks.example.com/two", success="false") == []

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["webhooks:all"])
        async with client_for(app, key) as client:
            for path in (
                EVENTS,
                f"{EVENTS}/summary",
                f"{EVENTS}/summary-by-date",
                f"{EVENTS}/{uuid.uuid4()}",
            ):
                response = await client.get(path)
                assert response.status_code == 403, (path, response.text)
        key = await make_key(tenant.workspace_id, ["webhook_events:read"])
        async with client_for(app, key) as client:
            assert (await client.get(EVENTS)).status_code == 200


class TestGetWebhookEvent:
    async def test_another_workspaces_event_is_404(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        theirs = await add_webhook_event(app, await create_webhook(other))
        for path in (f"{EVENTS}/{theirs}", f"{EVENTS}/{uuid.uuid4()}"):
            response = await tenant.client.get(path)
            assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert (await other.client.get(f"{EVENTS}/{theirs}")).status_code == 200
        assert await ids(tenant) == []

    async def test_bad_id_is_400(self, tenant: Tenant) -> None:
        assert_400(await tenant.client.get(f"{EVENTS}/nope"), 'params/id must match format "uuid"')


async def attempts(app: FastAPI, tenant: Tenant, outcomes: dict[datetime, list[bool]]) -> None:
    webhook = await create_webhook(tenant)
    for when, results in outcomes.items():
        for success in results:
            await add_webhook_event(app, webhook, success=success, created=when)


class TestWebhookEventsSummary:
    async def test_counts_and_rates(self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await attempts(
            app,
            tenant,
            {DAY: [True, True, False], DAY + timedelta(days=1, hours=5): [True, False, False, False]},
        )
        await attempts(app, await make_tenant(), {DAY: [False]})
        response = await tenant.client.get(f"{EVENTS}/summary")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "total_events": 7,
            "successful_events": 3,
            "failed_events": 4,
            "success_rate": 42.86,
            "failure_rate": 57.14,
        }
        response = await tenant.client.get(
            f"{EVENTS}/summary", params={"from": "2026-12-04", "to": "2026-12-04"}
        )
        assert response.json() == {
            "total_events": 4,
            "successful_events": 1,
            "failed_events": 3,
            "success_rate": 25,
            "failure_rate": 75,
        }

    async def test_nothing_is_zeros(self, tenant: Tenant) -> None:
        response = await tenant.client.get(f"{EVENTS}/summary")
        assert response.json() == {
            "total_events": 0,
            "successful_events": 0,
            "failed_events": 0,
            "success_rate": 0,
            "failure_rate": 0,
        }

    async def test_bad_window_is_400(self, tenant: Tenant) -> None:
        assert_400(
            await tenant.client.get(f"{EVENTS}/summary", params={"from": "2026-12-05", "to": "2026-12-04"}),
            "Start Date must be earlier than End Date",
        )


class TestWebhookEventsSummaryByDate:
    async def test_days_with_attempts_oldest_first(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        await attempts(
            app,
            tenant,
            {
                DAY + timedelta(days=2, hours=23, minutes=59): [False],
                DAY: [True, True, False, True],
                DAY + timedelta(hours=23, minutes=59, seconds=59): [True],
            },
        )
        await attempts(app, await make_tenant(), {DAY + timedelta(days=1): [True]})
        response = await tenant.client.get(f"{EVENTS}/summary-by-date")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "items": [
                {
                    "date": "2026-12-03",
                    "total_events": 5,
                    "successful_events": 4,
                    "failed_events": 1,
                    "success_rate": 80,
                    "failure_rate": 20,
                },
                {
                    "date": "2026-12-05",
                    "total_events": 1,
                    "successful_events": 0,
                    "failed_events": 1,
                    "success_rate": 0,
                    "failure_rate": 100,
                },
            ]
        }
        response = await tenant.client.get(f"{EVENTS}/summary-by-date", params={"from": "2026-12-04"})
        assert [item["date"] for item in response.json()["items"]] == ["2026-12-05"]
        response = await tenant.client.get(f"{EVENTS}/summary-by-date", params={"to": "2026-12-02"})
        assert response.json() == {"items": []}

    async def test_bad_window_is_400(self, tenant: Tenant) -> None:
        assert_400(
            await tenant.client.get(f"{EVENTS}/summary-by-date", params={"to": "2026-13-01"}),
            "querystring/to must be a date (YYYY-MM-DD) or an ISO 8601 timestamp",
        )
