from fastapi import FastAPI
from httpx import AsyncClient

from tests.conftest import MakeKey, Tenant, client_for

UNLIMITED = 2**53 - 1
PERIOD_KEYS = {"interval", "current_period_end", "cancel_at_time", "price_in_dollars", "product_id"}
LEAD_LIMIT_KEYS = {"total_lead_limit", "current_lead_count", "base_lead_limit"}
PRODUCT_KEYS = {"plan_name", *PERIOD_KEYS, "available_credits", "plan_limit"}


SCHEDULE = {
    "campaign_schedule": {
        "schedules": [
            {
                "name": "Weekdays",
                "timing": {"from": "09:00", "to": "17:00"},
                "days": {"1": True},
                "timezone": "America/Chicago",
            }
        ]
    }
}


class TestGetWorkspacePlanDetails:
    async def test_self_hosted_plan_without_limits(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/workspace-billing/plan-details")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"organization_id", "organization_name", "subscriptions", "addons"}
        assert body["organization_id"] == str(tenant.workspace_id)
        workspace = (await tenant.client.get("/api/v2/workspaces/current")).json()
        assert body["organization_name"] == workspace["name"]

        subscriptions = body["subscriptions"]
        assert set(subscriptions) == {
            "outreach",
            "credits",
            "bundle",
            "crm",
            "website_visitors",
            "inbox_placement",
        }
        assert subscriptions["outreach"] == {
            "plan_name": "Coldsend self-hosted",
            "addons_qty": 0,
            "total_lead_limit": UNLIMITED,
            "current_lead_count": 0,
            "base_lead_limit": UNLIMITED,
            "interval": None,
            "current_period_end": None,
            "cancel_at_time": None,
            "price_in_dollars": 0,
            "product_id": None,
        }
        assert set(subscriptions["credits"]) == {
            "plan_name",
            "total_credits",
            "available_credits",
            "price_option_id",
            *PERIOD_KEYS,
        }
        assert subscriptions["credits"]["available_credits"] == 0
        assert set(subscriptions["bundle"]) == {"plan_name", *LEAD_LIMIT_KEYS, *PERIOD_KEYS}
        assert subscriptions["bundle"]["plan_name"] is None
        for product in ("crm", "website_visitors", "inbox_placement"):
            assert subscriptions[product] == dict.fromkeys(PRODUCT_KEYS)

    async def test_current_lead_count_counts_contacts(self, tenant: Tenant) -> None:
        campaign = (await tenant.client.post("/api/v2/campaigns", json={"name": "C", **SCHEDULE})).json()
        lead_list = (await tenant.client.post("/api/v2/lead-lists", json={"name": "L"})).json()
        for target in ({"campaign_id": campaign["id"]}, {"list_id": lead_list["id"]}):
            body = {**target, "leads": [{"email": "a@example.com"}, {"email": "b@example.com"}]}
            assert (await tenant.client.post("/api/v2/leads/add", json=body)).status_code == 200
        body = (await tenant.client.get("/api/v2/workspace-billing/plan-details")).json()
        assert body["subscriptions"]["outreach"]["current_lead_count"] == 2

    async def test_addons_cannot_be_purchased(self, tenant: Tenant) -> None:
        addons = (await tenant.client.get("/api/v2/workspace-billing/plan-details")).json()["addons"]
        assert set(addons) == {"outreach", "credits"}
        assert set(addons["outreach"]) == {
            "product_id",
            "unit_lead_limit",
            "existing_quantity",
            "max_quantity",
            "interval",
            "can_purchase",
            "purchase_blocked_reason",
            "annual_discount_percent",
            "monthly_pricing_tiers",
        }
        assert set(addons["credits"]) == {
            "product_id",
            "annual_product_id",
            "unit_credits",
            "annual_unit_credits",
            "existing_quantity",
            "max_quantity",
            "interval",
            "can_purchase",
            "purchase_blocked_reason",
            "monthly_price_in_dollars",
            "annual_price_in_dollars",
        }
        for addon in addons.values():
            assert addon["can_purchase"] is False
            assert addon["purchase_blocked_reason"]
            assert addon["existing_quantity"] == 0

    async def test_needs_billing_scope(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["workspaces:read"])
        async with client_for(app, key) as client:
            response = await client.get("/api/v2/workspace-billing/plan-details")
        assert response.status_code == 403

    async def test_needs_a_key(self, anonymous: AsyncClient) -> None:
        response = await anonymous.get("/api/v2/workspace-billing/plan-details")
        assert response.status_code == 401


class TestGetWorkspaceSubscriptionDetails:
    async def test_no_paid_subscriptions(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/workspace-billing/subscription-details")
        assert response.status_code == 200
        assert response.json() == {"subscriptions": [], "all_subs_cancelled": False}

    async def test_read_scope_is_enough(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["workspace_billing:read"])
        async with client_for(app, key) as client:
            response = await client.get("/api/v2/workspace-billing/subscription-details")
        assert response.status_code == 200
