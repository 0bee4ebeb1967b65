"""Which campaigns use an account, and campaigns refusing addresses that are not accounts."""

from urllib.parse import quote

from fastapi import FastAPI

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import create_account, create_campaign, schedule, step
from tests.pages import collect_pages

PATH = "/api/v2/account-campaign-mappings"
STEPS = [step("Hello", "Hi")]


async def tag_account(tenant: Tenant, label: str, email: str) -> str:
    tag: str = (await tenant.client.post("/api/v2/custom-tags", json={"label": label})).json()["id"]
    toggle = {"tag_ids": [tag], "resource_type": 1, "resource_ids": [email], "assign": True}
    assert (await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)).status_code == 200
    return tag


class TestAccountCampaignMapping:
    async def test_campaigns_by_list_and_by_tag(self, tenant: Tenant) -> None:
        await create_account(tenant, "sender@example.com")
        await create_account(tenant, "other@example.com")
        tag = await tag_account(tenant, "senders", "sender@example.com")
        listed = await create_campaign(tenant, "Listed", email_list=["Sender@Example.com"])
        await create_campaign(tenant, "Not mine", email_list=["other@example.com"])
        tagged = await create_campaign(tenant, "Tagged", email_tag_list=[tag])
        response = await tenant.client.get(f"{PATH}/{quote('sender@example.com')}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["items"] == [
            {
                "campaign_id": listed["id"],
                "campaign_name": "Listed",
                "timestamp_created": listed["timestamp_created"],
                "status": 0,
            },
            {
                "campaign_id": tagged["id"],
                "campaign_name": "Tagged",
                "timestamp_created": tagged["timestamp_created"],
                "status": 0,
            },
        ]
        assert "next_starting_after" not in body

    async def test_pages_by_timestamp(self, tenant: Tenant) -> None:
        await create_account(tenant, "pager@example.com")
        names = [f"C{n}" for n in range(5)]
        for name in names:
            await create_campaign(tenant, name, email_list=["pager@example.com"])
        first = (await tenant.client.get(f"{PATH}/pager%40example.com", params={"limit": 2})).json()
        assert first["next_starting_after"].endswith("Z")
        items, pages = await collect_pages(tenant.client, f"{PATH}/pager%40example.com", limit=2)
        assert [item["campaign_name"] for item in items] == names
        assert pages >= 3

    async def test_unknown_account_404_and_bad_input_400(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        await create_account(other, "theirs@example.com")
        assert (await tenant.client.get(f"{PATH}/theirs%40example.com")).status_code == 404
        assert (await tenant.client.get(f"{PATH}/not-an-email")).status_code == 400
        await create_account(tenant, "mine@example.com")
        bad = await tenant.client.get(f"{PATH}/mine%40example.com", params={"starting_after": "soon"})
        assert bad.status_code == 400

    async def test_needs_scope(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        await create_account(tenant, "scoped@example.com")
        key = await make_key(tenant.workspace_id, ["accounts:read"])
        async with client_for(app, key) as client:
            assert (await client.get(f"{PATH}/scoped%40example.com")).status_code == 403
        key = await make_key(tenant.workspace_id, ["account_campaign_mappings:read"])
        async with client_for(app, key) as client:
            assert (await client.get(f"{PATH}/scoped%40example.com")).status_code == 200


class TestCampaignsNeedAccounts:
    async def test_unknown_email_list_address_is_400(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        await create_account(other, "theirs@example.com")
        await create_account(tenant, "mine@example.com")
        body = {
            "name": "C",
            "campaign_schedule": schedule(),
            "email_list": ["mine@example.com", "theirs@example.com"],
        }
        response = await tenant.client.post("/api/v2/campaigns", json=body)
        assert response.status_code == 400
        assert response.json()["message"] == (
            "email_list holds addresses that are not accounts of this workspace: theirs@example.com"
        )
        created = await create_campaign(tenant, "C", email_list=["mine@example.com"])
        patched = await tenant.client.patch(
            f"/api/v2/campaigns/{created['id']}", json={"email_list": ["ghost@example.com"]}
        )
        assert patched.status_code == 400
        assert (await tenant.client.get(f"/api/v2/campaigns/{created['id']}")).json()["email_list"] == [
            "mine@example.com"
        ]

    async def test_activation_needs_an_existing_account(self, tenant: Tenant) -> None:
        await create_account(tenant, "soon-gone@example.com")
        empty_tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "nobody"})).json()["id"]
        by_tag = await create_campaign(
            tenant, "By tag", sequences=[{"steps": STEPS}], email_tag_list=[empty_tag]
        )
        refused = await tenant.client.post(f"/api/v2/campaigns/{by_tag['id']}/activate")
        assert refused.status_code == 400
        assert "none of its email_list or email_tag_list accounts exists" in refused.json()["message"]
        senders = await tag_account(tenant, "senders", "soon-gone@example.com")
        await tenant.client.patch(f"/api/v2/campaigns/{by_tag['id']}", json={"email_tag_list": [senders]})
        assert (await tenant.client.post(f"/api/v2/campaigns/{by_tag['id']}/activate")).status_code == 200
        listed = await create_campaign(
            tenant, "Listed", sequences=[{"steps": STEPS}], email_list=["soon-gone@example.com"]
        )
        await tenant.client.delete("/api/v2/accounts/soon-gone%40example.com")
        refused = await tenant.client.post(f"/api/v2/campaigns/{listed['id']}/activate")
        assert refused.status_code == 400
        assert "none of its email_list or email_tag_list accounts exists" in refused.json()["message"]
