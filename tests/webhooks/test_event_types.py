"""GET /webhooks/event-types: the spec's types, then the workspace's own lead labels."""

from fastapi import FastAPI

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import WEBHOOKS, create_lead_label, create_webhook
from tests.webhooks.conftest import SPEC_EVENT_TYPES


class TestListWebhookEventTypes:
    async def test_standard_types_then_the_workspaces_labels(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        hot, warm = (
            await create_lead_label(tenant, "Hot Lead"),
            await create_lead_label(tenant, "Warm", "neutral"),
        )
        await create_lead_label(await make_tenant(), "Not ours")
        response = await tenant.client.get(f"{WEBHOOKS}/event-types")
        assert response.status_code == 200, response.text
        types = response.json()["event_types"]
        assert [item["id"] for item in types[:-2]] == SPEC_EVENT_TYPES
        assert {item["type"] for item in types[:-2]} == {"standard"}
        assert types[1] == {"id": "email_sent", "label": "Email Sent", "type": "standard"}
        assert all(item["label"] for item in types)
        assert types[-2:] == [
            {"id": str(hot["interest_status"]), "label": "Hot Lead", "type": "custom"},
            {"id": str(warm["interest_status"]), "label": "Warm", "type": "custom"},
        ]

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["webhooks:create", "lead-labels:read"])
        async with client_for(app, key) as client:
            assert (await client.get(f"{WEBHOOKS}/event-types")).status_code == 403

    async def test_a_listed_custom_type_subscribes(self, tenant: Tenant) -> None:
        await create_lead_label(tenant, "Demo asked")
        custom = (await tenant.client.get(f"{WEBHOOKS}/event-types")).json()["event_types"][-1]
        webhook = await create_webhook(tenant, event_type=None, custom_interest_value=int(custom["id"]))
        assert webhook["custom_interest_value"] == int(custom["id"])
