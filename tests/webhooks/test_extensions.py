"""Coldsend's own webhook operations: the signing secret (read, rotate) and the replay of failed ones."""

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.clock import iso_z, utcnow
from coldsend.db.session import session_scope
from coldsend.encryption import decrypt
from coldsend.models import Webhook, WebhookDelivery, WebhookStatus
from coldsend.models.webhook import DeliveryState
from tests.conftest import MakeKey, MakeTenant, OverrideSettings, Tenant, client_for
from tests.factories import WEBHOOKS, add_webhook_delivery, add_webhook_event, create_webhook

NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}


async def secret_of(tenant: Tenant, webhook_id: str) -> str:
    response = await tenant.client.get(f"{WEBHOOKS}/{webhook_id}/secret")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"secret"}
    return str(response.json()["secret"])


async def stored(app: FastAPI, webhook_id: str) -> Webhook:
    async with session_scope(app.state.sessionmaker) as session:
        row = await session.get(Webhook, uuid.UUID(webhook_id))
    assert row is not None
    return row


def assert_standard_webhooks_secret(secret: str) -> None:
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24


class TestWebhookSecret:
    async def test_each_webhook_has_its_own_secret_stored_encrypted(
        self, app: FastAPI, tenant: Tenant
    ) -> None:
        first, second = await create_webhook(tenant), await create_webhook(tenant)
        secret = await secret_of(tenant, first["id"])
        assert_standard_webhooks_secret(secret)
        assert secret != await secret_of(tenant, second["id"])
        assert await secret_of(tenant, first["id"]) == secret
        row = await stored(app, first["id"])
        assert secret not in row.secret
        assert decrypt(app.state.settings, row.secret) == secret
        assert (row.previous_secret, row.previous_secret_until) == (None, None)

    async def test_never_in_a_webhook_response(self, tenant: Tenant) -> None:
        created = await tenant.client.post(
            WEBHOOKS, json={"target_hook_url": "https://hooks.example.com/a", "event_type": "email_sent"}
        )
        webhook_id = created.json()["id"]
        secret = await secret_of(tenant, webhook_id)
        path = f"{WEBHOOKS}/{webhook_id}"
        responses = [
            created,
            await tenant.client.get(WEBHOOKS),
            await tenant.client.get(path),
            await tenant.client.patch(path, json={"name": "Renamed"}),
            await tenant.client.post(f"{path}/resume"),
        ]
        rotated = (await tenant.client.post(f"{path}/secret/rotate")).json()["secret"]
        responses += [await tenant.client.get(path), await tenant.client.delete(path)]
        for response in responses:
            assert response.status_code == 200, response.text
            assert secret not in response.text
            assert rotated not in response.text
            assert "whsec_" not in response.text

    async def test_another_workspaces_webhook_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        theirs = await create_webhook(await make_tenant())
        for response in (
            await tenant.client.get(f"{WEBHOOKS}/{theirs['id']}/secret"),
            await tenant.client.post(f"{WEBHOOKS}/{theirs['id']}/secret/rotate"),
        ):
            assert (response.status_code, response.json()) == (404, NOT_FOUND)

    async def test_scopes(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        webhook = await create_webhook(tenant)
        path = f"{WEBHOOKS}/{webhook['id']}/secret"
        reader = await make_key(tenant.workspace_id, ["webhooks:read"])
        updater = await make_key(tenant.workspace_id, ["webhooks:update"])
        async with client_for(app, reader) as client:
            assert (await client.get(path)).status_code == 200
            assert (await client.post(f"{path}/rotate")).status_code == 403
        async with client_for(app, updater) as client:
            assert (await client.get(path)).status_code == 403
            assert (await client.post(f"{path}/rotate")).status_code == 200

    async def test_unreadable_after_a_secret_key_change_is_409(
        self, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        webhook = await create_webhook(tenant)
        override_settings(secret_key="another-secret-key")
        response = await tenant.client.get(f"{WEBHOOKS}/{webhook['id']}/secret")
        assert response.status_code == 409, response.text
        assert "rotate it" in response.json()["message"]
        rotated = (await tenant.client.post(f"{WEBHOOKS}/{webhook['id']}/secret/rotate")).json()["secret"]
        assert await secret_of(tenant, webhook["id"]) == rotated


class TestRotateWebhookSecret:
    async def test_new_secret_and_the_old_one_kept_for_the_overlap(
        self, app: FastAPI, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(webhook_secret_overlap_seconds=3600)
        webhook = await create_webhook(tenant)
        old = await secret_of(tenant, webhook["id"])
        before = utcnow()
        response = await tenant.client.post(f"{WEBHOOKS}/{webhook['id']}/secret/rotate")
        after = utcnow()
        assert response.status_code == 200, response.text
        new = response.json()["secret"]
        assert_standard_webhooks_secret(new)
        assert new != old
        assert await secret_of(tenant, webhook["id"]) == new
        row = await stored(app, webhook["id"])
        assert row.previous_secret is not None
        assert row.previous_secret_until is not None
        assert decrypt(app.state.settings, row.previous_secret) == old
        assert before + timedelta(hours=1) <= row.previous_secret_until <= after + timedelta(hours=1)
        assert (await tenant.client.get(f"{WEBHOOKS}/{webhook['id']}")).json() == webhook

    async def test_rotating_again_keeps_the_secret_it_replaces(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        path = f"{WEBHOOKS}/{webhook['id']}/secret/rotate"
        second = (await tenant.client.post(path)).json()["secret"]
        third = (await tenant.client.post(path)).json()["secret"]
        row = await stored(app, webhook["id"])
        assert row.previous_secret is not None
        assert decrypt(app.state.settings, row.previous_secret) == second
        assert decrypt(app.state.settings, row.secret) == third


async def deliveries(app: FastAPI, webhook: dict[str, Any]) -> dict[uuid.UUID, WebhookDelivery]:
    async with session_scope(app.state.sessionmaker) as session:
        rows = await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.webhook_id == uuid.UUID(webhook["id"]))
        )
        return {row.id: row for row in rows}


class TestReplayWebhook:
    async def test_requeues_failed_deliveries_since(self, app: FastAPI, tenant: Tenant) -> None:
        webhook, other = await create_webhook(tenant), await create_webhook(tenant)
        since = datetime(2026, 12, 1, 12, tzinfo=UTC)
        lease: dict[str, Any] = {"lease_owner": "worker-a", "lease_expires_at": since + timedelta(days=9)}
        old = await add_webhook_delivery(app, webhook, created=since - timedelta(seconds=1))
        at = await add_webhook_delivery(app, webhook, created=since, **lease)
        later = await add_webhook_delivery(app, webhook, created=since + timedelta(days=2))
        delivered = await add_webhook_delivery(app, webhook, state=DeliveryState.DELIVERED, created=since)
        pending = await add_webhook_delivery(
            app, webhook, state=DeliveryState.PENDING, created=since, attempts=3, next_attempt_at=since
        )
        elsewhere = await add_webhook_delivery(app, other, created=since)
        before = {**(await deliveries(app, webhook)), **(await deliveries(app, other))}

        start = utcnow()
        response = await tenant.client.post(
            f"{WEBHOOKS}/{webhook['id']}/replay", json={"since": iso_z(since)}
        )
        end = utcnow()
        assert response.status_code == 200, response.text
        assert response.json() == {"queued": 2}
        after = {**(await deliveries(app, webhook)), **(await deliveries(app, other))}
        for requeued in (at, later):
            row = after[requeued]
            assert (row.state, row.attempts, row.lease_owner, row.lease_expires_at) == (
                "pending",
                0,
                None,
                None,
            )
            assert start <= row.next_attempt_at <= end
            assert row.payload == before[requeued].payload
        for untouched in (old, delivered, pending, elsewhere):
            assert (after[untouched].state, after[untouched].attempts, after[untouched].next_attempt_at) == (
                before[untouched].state,
                before[untouched].attempts,
                before[untouched].next_attempt_at,
            )
        again = await tenant.client.post(f"{WEBHOOKS}/{webhook['id']}/replay", json={"since": iso_z(since)})
        assert again.json() == {"queued": 0}

    async def test_naive_and_offset_times(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        await add_webhook_delivery(app, webhook, created=datetime(2026, 12, 1, 12, tzinfo=UTC))
        path = f"{WEBHOOKS}/{webhook['id']}/replay"
        assert (await tenant.client.post(path, json={"since": "2026-12-01T14:30:00+02:00"})).json() == {
            "queued": 0
        }
        assert (await tenant.client.post(path, json={"since": "2026-12-01T12:00:00"})).json() == {"queued": 1}

    async def test_disabled_webhook_is_409(self, app: FastAPI, tenant: Tenant) -> None:
        webhook = await create_webhook(tenant)
        await add_webhook_delivery(app, webhook)
        async with session_scope(app.state.sessionmaker) as session:
            row = await session.get(Webhook, uuid.UUID(webhook["id"]))
            assert row is not None
            row.status, row.timestamp_error = WebhookStatus.ERROR, utcnow()
        path = f"{WEBHOOKS}/{webhook['id']}"
        response = await tenant.client.post(f"{path}/replay", json={"since": "2020-01-01T00:00:00Z"})
        assert response.status_code == 409, response.text
        assert response.json()["message"].startswith("This webhook is disabled (status -1): resume it first")
        assert (await tenant.client.post(f"{path}/resume")).status_code == 200
        response = await tenant.client.post(f"{path}/replay", json={"since": "2020-01-01T00:00:00Z"})
        assert response.json() == {"queued": 1}

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({}, "body must have required property 'since'"),
            ({"since": "yesterday"}, 'body/since must match format "date-time"'),
            (
                {"since": "2026-12-01T00:00:00Z", "state": "failed"},
                "body must NOT have additional properties",
            ),
        ],
    )
    async def test_bad_body_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        webhook = await create_webhook(tenant)
        response = await tenant.client.post(f"{WEBHOOKS}/{webhook['id']}/replay", json=payload)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == message

    async def test_another_workspaces_webhook_is_404(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        theirs = await create_webhook(await make_tenant())
        delivery = await add_webhook_delivery(app, theirs)
        response = await tenant.client.post(
            f"{WEBHOOKS}/{theirs['id']}/replay", json={"since": "2020-01-01T00:00:00Z"}
        )
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert (await deliveries(app, theirs))[delivery].state == "failed"

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        webhook = await create_webhook(tenant)
        key = await make_key(tenant.workspace_id, ["webhooks:read", "webhooks:create"])
        async with client_for(app, key) as client:
            response = await client.post(
                f"{WEBHOOKS}/{webhook['id']}/replay", json={"since": "2020-01-01T00:00:00Z"}
            )
        assert response.status_code == 403


async def test_extensions_are_marked_in_openapi(anonymous: httpx.AsyncClient) -> None:
    paths = (await anonymous.get("/openapi.json")).json()["paths"]
    for path, method in (
        ("/api/v2/webhooks/{id}/secret", "get"),
        ("/api/v2/webhooks/{id}/secret/rotate", "post"),
        ("/api/v2/webhooks/{id}/replay", "post"),
    ):
        assert paths[path][method]["x-coldsend-extension"] is True


async def test_log_rows_are_not_replayed(app: FastAPI, tenant: Tenant) -> None:
    """Replay re-queues deliveries; the attempts already logged stay as they were."""
    webhook = await create_webhook(tenant)
    delivery = await add_webhook_delivery(app, webhook)
    event = await add_webhook_event(app, webhook, success=False, delivery_id=delivery)
    await tenant.client.post(f"{WEBHOOKS}/{webhook['id']}/replay", json={"since": "2020-01-01T00:00:00Z"})
    logged = (await tenant.client.get(f"/api/v2/webhook-events/{event}")).json()
    assert (logged["success"], logged["retry_group_id"]) == (False, str(delivery))
