"""Listing, reading and changing emails, over the history of tests/analytics/world.py."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from tests.analytics.history import History, at, history_campaign
from tests.analytics.world import A1, A2, World
from tests.conftest import Tenant
from tests.factories import add_leads, create_offline_account
from tests.pages import collect_pages

PATH = "/api/v2/emails"
NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
EMAIL_FIELDS = {
    "id", "timestamp_created", "timestamp_email", "message_id", "subject", "from_address_email",
    "to_address_email_list", "cc_address_email_list", "bcc_address_email_list", "reply_to", "body",
    "organization_id", "campaign_id", "subsequence_id", "list_id", "lead", "lead_id", "eaccount", "ue_type",
    "step", "is_unread", "is_auto_reply", "reminder_ts", "ai_interest_value", "ai_assisted", "is_focused",
    "i_status", "thread_id", "content_preview", "attachment_json", "from_address_json", "to_address_json",
    "cc_address_json", "ai_agent_id",
}  # fmt: skip


async def ids(world: World, **params: Any) -> list[uuid.UUID]:
    response = await world.tenant.client.get(PATH, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    assert "next_starting_after" not in response.json()
    return [uuid.UUID(item["id"]) for item in response.json()["items"]]


def newest_first(world: World, *positions: int) -> list[uuid.UUID]:
    """The world's emails at these creation positions, newest first (the default order)."""
    return [world.emails[n] for n in sorted(positions, reverse=True)]


class TestListEmails:
    async def test_pages_newest_first(self, world: World) -> None:
        items, pages = await collect_pages(world.tenant.client, PATH, limit=4)
        assert pages == 3
        assert [uuid.UUID(item["id"]) for item in items] == world.emails[::-1]
        assert all(set(item) == EMAIL_FIELDS for item in items)
        items, pages = await collect_pages(world.tenant.client, PATH, limit=5, params={"sort_order": "asc"})
        assert (pages, [uuid.UUID(item["id"]) for item in items]) == (3, world.emails)

    async def test_an_email_as_the_spec_shows_it(self, world: World) -> None:
        response = await world.tenant.client.get(f"{PATH}/{world.emails[0]}")
        assert response.status_code == 200
        email = response.json()
        assert email.pop("message_id").endswith("@example.com>")
        assert email.pop("thread_id") == world.history.thread(world.alpha, world.leads["l1@lead.test"])
        assert email == {
            "id": str(world.emails[0]),
            "timestamp_created": "2026-11-02T10:00:00.000Z",
            "timestamp_email": "2026-11-02T10:00:00.000Z",
            "subject": "Hello",
            "from_address_email": A1,
            "to_address_email_list": "l1@lead.test",
            "cc_address_email_list": None,
            "bcc_address_email_list": None,
            "reply_to": None,
            "body": {"html": "<p>Step 0</p>", "text": "Step 0"},
            "organization_id": str(world.tenant.workspace_id),
            "campaign_id": str(world.alpha),
            "subsequence_id": None,
            "list_id": None,
            "lead": "l1@lead.test",
            "lead_id": str(world.leads["l1@lead.test"]),
            "eaccount": A1,
            "ue_type": 1,
            "step": "0",
            "is_unread": 0,
            "is_auto_reply": None,
            "reminder_ts": None,
            "ai_interest_value": None,
            "ai_assisted": None,
            "is_focused": None,
            "i_status": None,
            "content_preview": "Step 0",
            "attachment_json": None,
            "from_address_json": None,
            "to_address_json": None,
            "cc_address_json": None,
            "ai_agent_id": None,
        }

    async def test_campaign_account_and_lead_filters(self, world: World) -> None:
        assert await ids(world, campaign_id=str(world.beta)) == newest_first(world, 4)
        assert len(await ids(world, campaign_id=str(world.alpha))) == 10
        assert await ids(world, eaccount=A2) == newest_first(world, 1, 3, 7, 8)
        assert await ids(world, eaccount=f"{A1.upper()}, {A2}") == world.emails[::-1]
        assert await ids(world, lead="L2@lead.test") == newest_first(world, 1, 7, 8, 10)
        assert await ids(world, company_domain="lead.test") == world.emails[::-1]
        assert await ids(world, company_domain="other.test") == []
        assert await ids(world, assigned_to=str(uuid.uuid4())) == []
        assert await ids(world, campaign_id=str(world.other_campaign)) == []

    async def test_search(self, world: World) -> None:
        assert await ids(world, search="l5@") == newest_first(world, 5)
        assert await ids(world, search="re: hello") == newest_first(world, 8)
        thread = world.history.thread(world.alpha, world.leads["l1@lead.test"])
        assert await ids(world, search=f"thread:{thread}") == newest_first(world, 0, 6)

    async def test_type_state_and_mode(self, world: World) -> None:
        everything_but_the_reply = [n for n in range(11) if n != 8]
        assert await ids(world, email_type="received") == newest_first(world, 8)
        assert await ids(world, email_type="sent") == newest_first(world, *everything_but_the_reply)
        assert await ids(world, email_type="manual") == []
        assert await ids(world, is_unread="true") == newest_first(world, 8)
        assert await ids(world, is_unread="false") == newest_first(world, *everything_but_the_reply)
        assert await ids(world, mode="emode_focused") == newest_first(world, 8)
        assert await ids(world, mode="emode_others") == newest_first(world, *everything_but_the_reply)
        assert await ids(world, mode="emode_all") == world.emails[::-1]
        assert await ids(world, i_status=1) == newest_first(world, 8)
        assert await ids(world, scheduled_only="true") == []
        assert await ids(world, has_reminder="true") == []
        assert await ids(world, marked_as_done="true") == []
        assert await ids(world, marked_as_done="false") == world.emails[::-1]

    async def test_latest_of_thread(self, world: World) -> None:
        assert await ids(world, latest_of_thread="true") == newest_first(world, 10, 9, 8, 6, 5, 4, 3)

    async def test_creation_time_bounds_are_inclusive(self, world: World) -> None:
        day = {
            "min_timestamp_created": "2026-11-03T00:00:00Z",
            "max_timestamp_created": "2026-11-03T23:59:59Z",
        }
        assert await ids(world, **day) == newest_first(world, 5, 6, 7, 8)
        bounds = {
            "min_timestamp_created": "2026-11-03T09:00:00.000Z",
            "max_timestamp_created": "2026-11-03T10:00",
        }
        assert await ids(world, **bounds) == newest_first(world, 5, 6)

    async def test_preview_only_leaves_the_body_out(self, world: World) -> None:
        response = await world.tenant.client.get(PATH, params={"preview_only": "true", "limit": 2})
        items = response.json()["items"]
        assert [item["body"] for item in items] == [{}, {}]
        assert [item["content_preview"] for item in items] == ["Step 0", "Step 1"]

    async def test_other_workspace(self, world: World) -> None:
        response = await world.tenant.client.get(f"{PATH}/{world.other_email}")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        response = await world.other.client.get(PATH)
        assert [item["id"] for item in response.json()["items"]] == [str(world.other_email)]

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"sort_order": "up"}, 'querystring/sort_order must match pattern "^(asc|desc)$"'),
            (
                {"mode": "focused"},
                "querystring/mode must be equal to one of the allowed values (allowed: 'emode_focused', "
                "'emode_others', 'emode_all')",
            ),
            (
                {"email_type": "draft"},
                "querystring/email_type must be equal to one of the allowed values (allowed: 'received', "
                "'sent', 'manual')",
            ),
            (
                {"min_timestamp_created": "tuesday"},
                "querystring/min_timestamp_created must be a date (YYYY-MM-DD) or an ISO 8601 timestamp",
            ),
            (
                {"max_timestamp_created": "0001-01-01T00:00:00+01:00"},
                "querystring/max_timestamp_created must be between the years 1900 and 8999",
            ),
            ({"i_status": 2**40}, "querystring/i_status must be <= 2147483647"),
            ({"campaign_id": "x"}, 'querystring/campaign_id must match format "uuid"'),
            ({"assigned_to": "x"}, 'querystring/assigned_to must match format "uuid"'),
            ({"is_unread": "maybe"}, "querystring/is_unread must be boolean"),
            ({"search": "a\x00b"}, "querystring/search must not contain NUL characters"),
            ({"starting_after": "x"}, 'querystring/starting_after must match format "uuid"'),
        ],
    )
    async def test_bad_filters_are_400(self, world: World, params: dict[str, str], message: str) -> None:
        response = await world.tenant.client.get(PATH, params=params)
        assert response.status_code == 400, response.text
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


async def small_history(app: FastAPI, tenant: Tenant) -> tuple[uuid.UUID, uuid.UUID, str]:
    """One sent step and the lead's unread reply in its thread: (sent id, reply id, thread id)."""
    await create_offline_account(tenant, A1)
    campaign = await history_campaign(tenant, "Small", [A1])
    lead = (await add_leads(tenant, campaign, ["l1@lead.test"]))["l1@lead.test"]
    history = History(app, tenant.workspace_id)
    sent = await history.sent(
        campaign_id=campaign,
        lead_id=lead,
        lead_email="l1@lead.test",
        step=0,
        variant=0,
        account=A1,
        when=at(2, 10),
    )
    reply = await history.received(
        campaign_id=campaign, lead_id=lead, lead_email="l1@lead.test", account=A1, when=at(2, 12)
    )
    return sent, reply, history.thread(campaign, lead)


async def unread(tenant: Tenant) -> int:
    response = await tenant.client.get(f"{PATH}/unread/count")
    assert response.status_code == 200
    count: int = response.json()["count"]
    return count


class TestChangeEmails:
    async def test_patch_read_state_and_reminder(self, app: FastAPI, tenant: Tenant) -> None:
        _sent, reply, _thread = await small_history(app, tenant)
        assert await unread(tenant) == 1
        response = await tenant.client.patch(
            f"{PATH}/{reply}", json={"is_unread": 0, "reminder_ts": "2026-12-01T09:00:00+01:00"}
        )
        assert response.status_code == 200, response.text
        assert (response.json()["is_unread"], response.json()["reminder_ts"]) == (
            0,
            "2026-12-01T08:00:00.000Z",
        )
        assert await unread(tenant) == 0
        response = await tenant.client.get(PATH, params={"has_reminder": "true"})
        assert [item["id"] for item in response.json()["items"]] == [str(reply)]
        response = await tenant.client.patch(f"{PATH}/{reply}", json={"reminder_ts": None, "is_unread": 1})
        assert (response.json()["is_unread"], response.json()["reminder_ts"]) == (1, None)
        assert await unread(tenant) == 1

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"is_unread": 2}, "body/is_unread must be <= 1"),
            ({"subject": "x"}, "body must NOT have additional properties"),
            ({"reminder_ts": "soon"}, 'body/reminder_ts must match format "date-time"'),
            (
                {"reminder_ts": "0001-01-01T00:00:00+01:00"},
                "body/reminder_ts must be between the years 1900 and 8999",
            ),
        ],
    )
    async def test_bad_patch_is_400(
        self, app: FastAPI, tenant: Tenant, body: dict[str, Any], message: str
    ) -> None:
        _sent, reply, _thread = await small_history(app, tenant)
        response = await tenant.client.patch(f"{PATH}/{reply}", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == message

    async def test_mark_thread_as_read(self, app: FastAPI, tenant: Tenant, make_tenant: Any) -> None:
        _sent, reply, thread = await small_history(app, tenant)
        other = await make_tenant()
        response = await other.client.post(f"{PATH}/threads/{thread}/mark-as-read")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert await unread(tenant) == 1
        response = await tenant.client.post(f"{PATH}/threads/{thread}/mark-as-read")
        assert (response.status_code, response.json()) == (200, {"success": True})
        assert (await tenant.client.get(f"{PATH}/{reply}")).json()["is_unread"] == 0
        assert await unread(tenant) == 0
        response = await tenant.client.post(f"{PATH}/threads/not-a-thread/mark-as-read")
        assert response.status_code == 400

    async def test_delete(self, app: FastAPI, tenant: Tenant, make_tenant: Any) -> None:
        sent, reply, _thread = await small_history(app, tenant)
        other = await make_tenant()
        assert (await other.client.delete(f"{PATH}/{sent}")).status_code == 404
        response = await tenant.client.delete(f"{PATH}/{sent}")
        assert response.status_code == 200
        assert response.json()["id"] == str(sent)
        assert response.json()["subject"] == "Hello"
        assert (await tenant.client.get(f"{PATH}/{sent}")).status_code == 404
        assert [item["id"] for item in (await tenant.client.get(PATH)).json()["items"]] == [str(reply)]
