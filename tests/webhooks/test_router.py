import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from coldsend.clock import iso_z, utcnow
from coldsend.db.session import session_scope
from coldsend.models import AuditLog, Webhook, WebhookDelivery, WebhookEvent, WebhookStatus
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import (
    HOOK_URL,
    WEBHOOKS,
    add_webhook_delivery,
    add_webhook_event,
    create_campaign,
    create_lead_label,
    create_webhook,
    schedule,
)
from tests.pages import collect_pages
from tests.webhooks.conftest import SPEC_EVENT_TYPES

FIELDS = {
    "id",
    "organization",
    "campaign",
    "name",
    "target_hook_url",
    "event_type",
    "custom_interest_value",
    "headers",
    "timestamp_created",
    "status",
    "timestamp_error",
}
BOTH = (
    "event_type and custom_interest_value cannot both be set: a custom label's webhook has a null event_type"
)
NEITHER = "one of event_type or custom_interest_value is required"
NO_LABEL = (
    "body/custom_interest_value must be the interest_status of one of this workspace's custom lead labels "
    "(GET /api/v2/webhooks/event-types lists them)"
)
BAD_URL = "body/target_hook_url must be an http or https URL with a host"


def assert_400(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


def assert_404(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}


async def label_value(tenant: Tenant, label: str = "Hot Lead") -> int:
    return int((await create_lead_label(tenant, label))["interest_status"])


async def campaign_id(tenant: Tenant, name: str = "Campaign") -> str:
    return str((await create_campaign(tenant, name, campaign_schedule=schedule()))["id"])


async def stored(app: FastAPI, webhook_id: str) -> Webhook:
    async with session_scope(app.state.sessionmaker) as session:
        row = await session.get(Webhook, uuid.UUID(webhook_id))
    assert row is not None
    return row


class TestCreateWebhook:
    async def test_shape_and_defaults(self, app: FastAPI, tenant: Tenant) -> None:
        body = await create_webhook(tenant)
        assert set(body) == FIELDS
        assert uuid.UUID(body["id"]).version == 7
        assert body["organization"] == str(tenant.workspace_id)
        assert body["timestamp_created"].endswith("Z")
        assert {key: body[key] for key in FIELDS - {"id", "organization", "timestamp_created"}} == {
            "campaign": None,
            "name": None,
            "target_hook_url": HOOK_URL,
            "event_type": "email_sent",
            "custom_interest_value": None,
            "headers": None,
            "status": 1,
            "timestamp_error": None,
        }
        row = await stored(app, body["id"])
        assert row.workspace_id == tenant.workspace_id

    async def test_every_field(self, tenant: Tenant) -> None:
        campaign = await campaign_id(tenant)
        headers = {"Authorization": "Basic dXNlcjpwYXNz", "X-Team": "sales ops"}
        body = await create_webhook(
            tenant,
            campaign=campaign,
            name="Zapier Positive Replies",
            event_type="all_events",
            headers=headers,
        )
        assert (body["campaign"], body["name"], body["event_type"], body["headers"]) == (
            campaign,
            "Zapier Positive Replies",
            "all_events",
            headers,
        )
        assert (await tenant.client.get(f"{WEBHOOKS}/{body['id']}")).json() == body

    async def test_custom_label_webhook(self, tenant: Tenant) -> None:
        value = await label_value(tenant)
        body = await create_webhook(tenant, event_type=None, custom_interest_value=value)
        assert (body["event_type"], body["custom_interest_value"]) == (None, value)

    async def test_audit_logged(self, app: FastAPI, tenant: Tenant) -> None:
        body = await create_webhook(tenant)
        async with session_scope(app.state.sessionmaker) as session:
            types = (
                await session.scalars(
                    select(AuditLog.activity_type).where(AuditLog.webhook_id == uuid.UUID(body["id"]))
                )
            ).all()
        assert types == [18]

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"event_type": "email_sent"}, "body must have required property 'target_hook_url'"),
            ({"target_hook_url": "ftp://hooks.example.com/x", "event_type": "email_sent"}, BAD_URL),
            ({"target_hook_url": "hooks.example.com/x", "event_type": "email_sent"}, BAD_URL),
            ({"target_hook_url": "https:///no-host", "event_type": "email_sent"}, BAD_URL),
            ({"target_hook_url": "https://hooks.example.com/a b", "event_type": "email_sent"}, BAD_URL),
            ({"target_hook_url": "https://hooks.example.com:99999/", "event_type": "email_sent"}, BAD_URL),
            ({"target_hook_url": 7, "event_type": "email_sent"}, "body/target_hook_url must be string"),
            (
                {"target_hook_url": HOOK_URL, "event_type": "email_clicked"},
                "body/event_type must be equal to one of the allowed values (allowed: "
                + ", ".join(f"'{value}'" for value in SPEC_EVENT_TYPES)
                + ")",
            ),
            ({"target_hook_url": HOOK_URL}, NEITHER),
            ({"target_hook_url": HOOK_URL, "event_type": None}, NEITHER),
            ({"target_hook_url": HOOK_URL, "event_type": "email_sent", "custom_interest_value": 5}, BOTH),
            ({"target_hook_url": HOOK_URL, "custom_interest_value": 5}, NO_LABEL),
            (
                {"target_hook_url": HOOK_URL, "custom_interest_value": 5.5},
                "body/custom_interest_value must be integer",
            ),
            (
                {"target_hook_url": HOOK_URL, "custom_interest_value": 10**20},
                "body/custom_interest_value must be <= 30000",
            ),
            (
                {"target_hook_url": HOOK_URL, "event_type": "email_sent", "campaign": "nope"},
                'body/campaign must match format "uuid"',
            ),
            (
                {"target_hook_url": HOOK_URL, "event_type": "email_sent", "campaign": str(uuid.uuid4())},
                "campaign not found",
            ),
            (
                {"target_hook_url": HOOK_URL, "event_type": "email_sent", "name": "x" * 256},
                "body/name must NOT have more than 255 characters",
            ),
            (
                {"target_hook_url": HOOK_URL, "event_type": "email_sent", "secret": "whsec_mine"},
                "body must NOT have additional properties",
            ),
        ],
    )
    async def test_invalid_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        assert_400(await tenant.client.post(WEBHOOKS, json=payload), message)
        assert (await tenant.client.get(WEBHOOKS)).json()["items"] == []

    @pytest.mark.parametrize(
        ("headers", "message"),
        [
            (["Authorization"], "body/headers must be object"),
            ({"X-Count": 5}, "body/headers/X-Count must be string"),
            (
                {"Host": "evil.example"},
                "body/headers must not set Host: it is set by the HTTP client for each delivery",
            ),
            (
                {"content-length": "0"},
                "body/headers must not set content-length: it is set by the HTTP client for each delivery",
            ),
            (
                {"Transfer-Encoding": "chunked"},
                "body/headers must not set Transfer-Encoding: it is set by the HTTP client for each delivery",
            ),
            (
                {"Connection": "close"},
                "body/headers must not set Connection: it is set by the HTTP client for each delivery",
            ),
            (
                {"Webhook-Signature": "v1,forged"},
                "body/headers must not set Webhook-Signature: webhook-* headers carry Coldsend's signature",
            ),
            (
                {"X-Evil": "a\r\nInjected: yes"},
                "body/headers value of 'X-Evil' must be printable ASCII of at most 8192 characters, "
                "without line breaks",
            ),
            (
                {"Bad Name": "x"},
                "body/headers has an invalid header name 'Bad Name' "
                "(letters, digits and !#$%&'*+-.^_`|~ only)",
            ),
            (
                {"X-A": "1", "x-a": "2"},
                "body/headers names the header 'x-a' twice (header names are case-insensitive)",
            ),
            ({f"X-{n}": "v" for n in range(51)}, "body/headers must NOT have more than 50 properties"),
        ],
    )
    async def test_bad_headers_are_400(self, tenant: Tenant, headers: Any, message: str) -> None:
        payload = {"target_hook_url": HOOK_URL, "event_type": "email_sent", "headers": headers}
        assert_400(await tenant.client.post(WEBHOOKS, json=payload), message)

    async def test_another_workspaces_campaign_and_label_are_400(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        their_campaign = await campaign_id(other)
        their_label = await label_value(other, "Theirs")
        payload: dict[str, Any] = {
            "target_hook_url": HOOK_URL,
            "event_type": "email_sent",
            "campaign": their_campaign,
        }
        assert_400(await tenant.client.post(WEBHOOKS, json=payload), "campaign not found")
        payload = {"target_hook_url": HOOK_URL, "custom_interest_value": their_label}
        assert_400(await tenant.client.post(WEBHOOKS, json=payload), NO_LABEL)

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["webhooks:read", "webhooks:update", "webhooks:delete"])
        async with client_for(app, key) as client:
            response = await client.post(
                WEBHOOKS, json={"target_hook_url": HOOK_URL, "event_type": "email_sent"}
            )
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "Forbidden"


class TestListWebhook:
    async def test_pages_each_webhook_once_oldest_first(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        created = [(await create_webhook(tenant, name=f"Hook {i}"))["id"] for i in range(5)]
        await create_webhook(await make_tenant())
        items, pages = await collect_pages(tenant.client, WEBHOOKS, limit=2)
        assert [item["id"] for item in items] == created
        assert pages == 3
        assert all(set(item) == FIELDS for item in items)

    async def test_campaign_and_event_type_filters(self, tenant: Tenant) -> None:
        first, second = await campaign_id(tenant, "First"), await campaign_id(tenant, "Second")
        sent_first = await create_webhook(tenant, campaign=first)
        opened_first = await create_webhook(tenant, campaign=first, event_type="email_opened")
        sent_second = await create_webhook(tenant, campaign=second)
        everywhere = await create_webhook(tenant, event_type="all_events")

        async def ids(**params: str) -> list[str]:
            response = await tenant.client.get(WEBHOOKS, params=params)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await ids(campaign=first) == [sent_first["id"], opened_first["id"]]
        assert await ids(event_type="email_sent") == [sent_first["id"], sent_second["id"]]
        assert await ids(campaign=first, event_type="email_opened") == [opened_first["id"]]
        assert await ids(event_type="all_events") == [everywhere["id"]]
        assert await ids(campaign=str(uuid.uuid4())) == []

    async def test_bad_filters_are_400(self, tenant: Tenant) -> None:
        assert_400(
            await tenant.client.get(WEBHOOKS, params={"campaign": "x"}),
            'querystring/campaign must match format "uuid"',
        )
        response = await tenant.client.get(WEBHOOKS, params={"event_type": "nope"})
        assert response.status_code == 400
        assert response.json()["message"].startswith("querystring/event_type must be equal to one of")
        assert_400(
            await tenant.client.get(WEBHOOKS, params={"starting_after": "x"}),
            'querystring/starting_after must match format "uuid"',
        )
        assert_400(
            await tenant.client.get(WEBHOOKS, params={"limit": 101}), "querystring/limit must be <= 100"
        )

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["webhooks:create", "webhook_events:read"])
        async with client_for(app, key) as client:
            assert (await client.get(WEBHOOKS)).status_code == 403


class TestGetWebhook:
    async def test_another_workspaces_webhook_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        theirs = await create_webhook(await make_tenant())
        assert_404(await tenant.client.get(f"{WEBHOOKS}/{theirs['id']}"))
        assert_404(await tenant.client.get(f"{WEBHOOKS}/{uuid.uuid4()}"))

    async def test_bad_id_is_400(self, tenant: Tenant) -> None:
        assert_400(await tenant.client.get(f"{WEBHOOKS}/nope"), 'params/id must match format "uuid"')

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        webhook = await create_webhook(tenant)
        key = await make_key(
            tenant.workspace_id, ["webhooks:create", "webhooks:update", "webhook_events:read"]
        )
        async with client_for(app, key) as client:
            assert (await client.get(f"{WEBHOOKS}/{webhook['id']}")).status_code == 403


class TestPatchWebhook:
    async def test_changes_only_what_is_sent(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await campaign_id(tenant)
        webhook = await create_webhook(tenant, name="Before", headers={"X-A": "1"})
        response = await tenant.client.patch(
            f"{WEBHOOKS}/{webhook['id']}",
            json={"name": "After", "campaign": campaign, "event_type": "reply_received"},
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            **webhook,
            "name": "After",
            "campaign": campaign,
            "event_type": "reply_received",
        }
        response = await tenant.client.patch(
            f"{WEBHOOKS}/{webhook['id']}",
            json={"name": None, "campaign": None, "headers": None, "target_hook_url": HOOK_URL + "/v2"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["name"], body["campaign"], body["headers"], body["target_hook_url"]) == (
            None,
            None,
            None,
            HOOK_URL + "/v2",
        )
        async with session_scope(app.state.sessionmaker) as session:
            updates = await session.scalar(
                select(func.count()).where(
                    AuditLog.webhook_id == uuid.UUID(webhook["id"]), AuditLog.activity_type == 19
                )
            )
        assert updates == 2

    async def test_to_a_custom_label_and_back(self, tenant: Tenant) -> None:
        value = await label_value(tenant)
        webhook = await create_webhook(tenant)
        path = f"{WEBHOOKS}/{webhook['id']}"
        assert_400(await tenant.client.patch(path, json={"custom_interest_value": value}), BOTH)
        response = await tenant.client.patch(path, json={"event_type": None, "custom_interest_value": value})
        assert response.status_code == 200, response.text
        assert (response.json()["event_type"], response.json()["custom_interest_value"]) == (None, value)
        assert_400(await tenant.client.patch(path, json={"custom_interest_value": None}), NEITHER)
        assert_400(await tenant.client.patch(path, json={"event_type": "email_opened"}), BOTH)
        response = await tenant.client.patch(
            path, json={"event_type": "email_opened", "custom_interest_value": None}
        )
        assert (response.json()["event_type"], response.json()["custom_interest_value"]) == (
            "email_opened",
            None,
        )

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"target_hook_url": None}, "body/target_hook_url must be string"),
            ({"target_hook_url": "mailto:a@example.com"}, BAD_URL),
            ({"event_type": "nope"}, None),
            ({"campaign": str(uuid.uuid4())}, "campaign not found"),
            ({"event_type": None, "custom_interest_value": 77}, NO_LABEL),
            (
                {"headers": {"Host": "x"}},
                "body/headers must not set Host: it is set by the HTTP client for each delivery",
            ),
            ({"status": -1}, "body must NOT have additional properties"),
        ],
    )
    async def test_invalid_is_400_and_changes_nothing(
        self, tenant: Tenant, payload: dict[str, Any], message: str | None
    ) -> None:
        webhook = await create_webhook(tenant)
        response = await tenant.client.patch(f"{WEBHOOKS}/{webhook['id']}", json=payload)
        assert response.status_code == 400, response.text
        if message is not None:
            assert response.json()["message"] == message
        assert (await tenant.client.get(f"{WEBHOOKS}/{webhook['id']}")).json() == webhook

    async def test_another_workspaces_webhook_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = await create_webhook(other)
        assert_404(await tenant.client.patch(f"{WEBHOOKS}/{theirs['id']}", json={"name": "mine"}))
        assert (await other.client.get(f"{WEBHOOKS}/{theirs['id']}")).json() == theirs

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        webhook = await create_webhook(tenant)
        key = await make_key(tenant.workspace_id, ["webhooks:read", "webhooks:create"])
        async with client_for(app, key) as client:
            assert (await client.patch(f"{WEBHOOKS}/{webhook['id']}", json={"name": "x"})).status_code == 403


class TestDeleteWebhook:
    async def test_answers_the_deleted_webhook_and_keeps_its_log(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant, name="Going")
        await add_webhook_delivery(app, webhook)
        event_id = await add_webhook_event(app, webhook)
        response = await tenant.client.delete(f"{WEBHOOKS}/{webhook['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == webhook
        assert_404(await tenant.client.get(f"{WEBHOOKS}/{webhook['id']}"))
        async with session_scope(app.state.sessionmaker) as session:
            deliveries = await session.scalar(
                select(func.count()).where(WebhookDelivery.webhook_id == uuid.UUID(webhook["id"]))
            )
            event = await session.get(WebhookEvent, event_id)
        assert deliveries == 0
        assert event is not None
        assert event.webhook_id is None
        assert (await tenant.client.get(f"/api/v2/webhook-events/{event_id}")).status_code == 200

    async def test_another_workspaces_webhook_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = await create_webhook(other)
        assert_404(await tenant.client.delete(f"{WEBHOOKS}/{theirs['id']}"))
        assert (await other.client.get(f"{WEBHOOKS}/{theirs['id']}")).status_code == 200

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        webhook = await create_webhook(tenant)
        key = await make_key(tenant.workspace_id, ["webhooks:read", "webhooks:update"])
        async with client_for(app, key) as client:
            assert (await client.delete(f"{WEBHOOKS}/{webhook['id']}")).status_code == 403


class TestResumeWebhook:
    async def test_reenables_a_disabled_webhook(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        disabled_at = utcnow() - timedelta(hours=1)
        async with session_scope(app.state.sessionmaker) as session:
            row = await session.get(Webhook, uuid.UUID(webhook["id"]))
            assert row is not None
            row.status, row.timestamp_error = WebhookStatus.ERROR, disabled_at
            row.failing_since = disabled_at - timedelta(days=5)
        shown = (await tenant.client.get(f"{WEBHOOKS}/{webhook['id']}")).json()
        assert (shown["status"], shown["timestamp_error"]) == (-1, iso_z(disabled_at))
        response = await tenant.client.post(f"{WEBHOOKS}/{webhook['id']}/resume")
        assert response.status_code == 200, response.text
        assert response.json() == webhook
        row = await stored(app, webhook["id"])
        assert (row.status, row.timestamp_error, row.failing_since) == (1, None, None)

    async def test_another_workspaces_webhook_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        theirs = await create_webhook(await make_tenant())
        assert_404(await tenant.client.post(f"{WEBHOOKS}/{theirs['id']}/resume"))

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        webhook = await create_webhook(tenant)
        key = await make_key(tenant.workspace_id, ["webhooks:read"])
        async with client_for(app, key) as client:
            assert (await client.post(f"{WEBHOOKS}/{webhook['id']}/resume")).status_code == 403
