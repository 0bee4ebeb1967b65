import uuid
from typing import Any

from fastapi import FastAPI

from tests.conftest import MakeTenant, Tenant
from tests.leads.helpers import PATH, add, create, list_all, make_campaign, make_list, set_fields


async def emails(tenant: Tenant, body: dict[str, Any]) -> list[str]:
    items, _ = await list_all(tenant, body)
    return [lead["email"] for lead in items]


class TestListLeads:
    async def test_filters(self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant) -> None:
        campaign = str(await make_campaign(app, tenant.workspace_id))
        lead_list = str(await make_list(app, tenant.workspace_id))
        names = ["active", "bounced", "done", "replied", "opened", "clicked", "interested", "custom"]
        created = (await add(tenant, [{"email": f"{n}@x.io"} for n in names], campaign_id=campaign))[
            "created_leads"
        ]
        ids = {c["email"].split("@")[0]: c["id"] for c in created}
        other = await create(tenant, list_id=lead_list, email="listed@y.io", first_name="Zed")
        await set_fields(app, ids["bounced"], status=-1, verification_status=-1)
        await set_fields(app, ids["done"], status=3, verification_status=1)
        await set_fields(app, ids["replied"], email_reply_count=1, email_open_count=1)
        await set_fields(app, ids["opened"], email_open_count=2, verification_status=-2)
        await set_fields(app, ids["clicked"], email_click_count=1, esg_code=2, is_website_visitor=True)
        await set_fields(app, ids["interested"], lt_interest_status=1, enrichment_status=1)
        await set_fields(app, ids["custom"], lt_interest_status=-7, assigned_to=uuid.UUID(int=5))
        stranger = await make_tenant()
        await stranger.client.post(PATH, json={"email": "active@x.io"})

        everyone = [f"{n}@x.io" for n in names] + ["listed@y.io"]
        assert await emails(tenant, {}) == everyone
        assert await emails(tenant, {"campaign": campaign}) == everyone[:-1]
        assert await emails(tenant, {"list_id": lead_list}) == ["listed@y.io"]
        assert await emails(tenant, {"in_campaign": False}) == ["listed@y.io"]
        assert await emails(tenant, {"in_list": False}) == everyone[:-1]
        assert await emails(tenant, {"search": "ZED"}) == ["listed@y.io"]
        assert await emails(tenant, {"search": "Click"}) == ["clicked@x.io"]
        assert await emails(tenant, {"ids": [ids["done"], other["id"]]}) == ["done@x.io", "listed@y.io"]
        assert await emails(tenant, {"excluded_ids": [ids["active"]], "campaign": campaign}) == everyone[1:-1]
        assert await emails(tenant, {"contacts": ["DONE@x.io", "nobody@x.io"]}) == ["done@x.io"]
        assert await emails(tenant, {"organization_user_ids": [str(uuid.UUID(int=5))]}) == ["custom@x.io"]
        assert await emails(tenant, {"is_website_visitor": True}) == ["clicked@x.io"]
        assert await emails(tenant, {"enrichment_status": 1}) == ["interested@x.io"]
        assert await emails(tenant, {"esg_code": "2"}) == ["clicked@x.io"]
        assert await emails(tenant, {"esg_code": "all"}) == ["clicked@x.io"]
        expected = {
            "FILTER_VAL_BOUNCED": ["bounced@x.io"],
            "FILTER_VAL_COMPLETED": ["done@x.io"],
            "FILTER_VAL_COMPLETED_NO_REPLY": ["done@x.io"],
            "FILTER_VAL_REPLIED": ["replied@x.io"],
            "FILTER_VAL_OPENED_NO_REPLY": ["opened@x.io"],
            "FILTER_VAL_LINK_CLICKED": ["clicked@x.io"],
            "FILTER_LEAD_INTERESTED": ["interested@x.io"],
            "FILTER_LEAD_CUSTOM_LABEL_NEGATIVE": ["custom@x.io"],
            "FILTER_LEAD_CUSTOM_LABEL_POSITIVE": [],
            "FILTER_VAL_INVALID": ["bounced@x.io"],
            "FILTER_VAL_VALID": ["done@x.io"],
            "FILTER_VAL_RISKY": ["opened@x.io"],
            "FILTER_VAL_UNSUBSCRIBED": [],
            "FILTER_VAL_NOT_CONTACTED": everyone,
            "FILTER_VAL_CONTACTED": [],
        }
        for value, wanted in expected.items():
            assert await emails(tenant, {"filter": value}) == wanted, value
        active = await emails(tenant, {"filter": "FILTER_VAL_ACTIVE", "campaign": campaign})
        assert "bounced@x.io" not in active
        assert "active@x.io" in active
        no_opens = await emails(tenant, {"filter": "FILTER_VAL_NO_OPENS", "campaign": campaign})
        assert "opened@x.io" not in no_opens
        assert "active@x.io" in no_opens
        query = {
            "actionType": "email-open",
            "values": {"occurrence-count": {"condition": "more", "count": 1}},
        }
        assert await emails(tenant, {"queries": [query]}) == ["opened@x.io"]
        status_query = {
            "actionType": "lead-status",
            "values": {"lead-status": {"status": 1, "condition": "is"}},
        }
        assert await emails(tenant, {"queries": [status_query]}) == ["interested@x.io"]

    async def test_validation(self, tenant: Tenant) -> None:
        for body, message in [
            ({"limit": 0}, "body/limit must be >= 1"),
            ({"limit": 101}, "body/limit must be <= 100"),
            ({"starting_after": "x"}, 'body/starting_after must match format "uuid"'),
            (
                {"filter": "FILTER_NOPE"},
                "body/filter must be equal to one of the allowed values (allowed: 'FILTER_VAL_CONTACTED', "
                "'FILTER_VAL_NOT_CONTACTED', 'FILTER_VAL_COMPLETED', 'FILTER_VAL_UNSUBSCRIBED', "
                "'FILTER_VAL_ACTIVE', 'FILTER_LEAD_INTERESTED', 'FILTER_LEAD_NOT_INTERESTED', "
                "'FILTER_LEAD_MEETING_BOOKED', 'FILTER_LEAD_MEETING_COMPLETED', 'FILTER_LEAD_CLOSED', "
                "'FILTER_LEAD_OUT_OF_OFFICE', 'FILTER_LEAD_WRONG_PERSON', 'FILTER_LEAD_LOST', "
                "'FILTER_LEAD_NO_SHOW', 'FILTER_LEAD_CUSTOM_LABEL_POSITIVE', "
                "'FILTER_LEAD_CUSTOM_LABEL_NEGATIVE', 'FILTER_VAL_BOUNCED', 'FILTER_VAL_SKIPPED', "
                "'FILTER_VAL_RISKY', 'FILTER_VAL_INVALID', 'FILTER_VAL_VALID', 'FILTER_VAL_IN_SUBSEQUENCE', "
                "'FILTER_VAL_OPENED_NO_REPLY', 'FILTER_VAL_COMPLETED_NO_REPLY', 'FILTER_VAL_NO_OPENS', "
                "'FILTER_VAL_REPLIED', 'FILTER_VAL_LINK_CLICKED')",
            ),
            ({"campaign": "x"}, 'body/campaign must match format "uuid"'),
            ({"unknown": 1}, "body must NOT have additional properties"),
        ]:
            response = await tenant.client.post(f"{PATH}/list", json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["message"] == message
        empty = await tenant.client.post(f"{PATH}/list")
        assert empty.status_code == 200
        assert empty.json() == {"items": []}

    async def test_distinct_contacts_pages_by_email(self, app: FastAPI, tenant: Tenant) -> None:
        first = str(await make_campaign(app, tenant.workspace_id))
        second = str(await make_campaign(app, tenant.workspace_id))
        a = await add(tenant, [{"email": f"c{i:02}@x.io"} for i in range(25, 0, -1)], campaign_id=first)
        await add(tenant, [{"email": f"c{i:02}@x.io"} for i in range(1, 31)], campaign_id=second)
        items, pages = await list_all(tenant, {"distinct_contacts": True}, limit=7)
        assert [lead["email"] for lead in items] == [f"c{i:02}@x.io" for i in range(1, 31)]
        assert pages == 5
        by_email = {c["email"]: c["id"] for c in a["created_leads"]}
        assert all(lead["id"] == by_email[lead["email"]] for lead in items if lead["email"] in by_email)
        response = await tenant.client.post(
            f"{PATH}/list", json={"distinct_contacts": True, "limit": 2, "starting_after": "c28@x.io"}
        )
        assert [lead["email"] for lead in response.json()["items"]] == ["c29@x.io", "c30@x.io"]
        assert "next_starting_after" not in response.json()

    async def test_paging_2500_leads_with_filters_returns_each_once(
        self, app: FastAPI, tenant: Tenant
    ) -> None:
        campaign = str(await make_campaign(app, tenant.workspace_id))
        lead_list = str(await make_list(app, tenant.workspace_id))
        wanted: set[str] = set()
        for batch in range(3):
            leads = [{"email": f"p{batch}-{i}@page.test", "first_name": "Pager"} for i in range(1000)]
            container = {"campaign_id": campaign} if batch < 2 else {"list_id": lead_list}
            result = await add(tenant, leads, **container)
            wanted |= {c["id"] for c in result["created_leads"]}
        await add(tenant, [{"email": f"noise{i}@page.test"} for i in range(50)], campaign_id=campaign)
        items, pages = await list_all(tenant, {"search": "pager", "filter": "FILTER_VAL_NOT_CONTACTED"})
        ids = [lead["id"] for lead in items]
        assert len(ids) == len(set(ids)) == 3000
        assert set(ids) == wanted
        assert ids == sorted(ids, key=uuid.UUID)
        assert pages == 30
        in_campaign, pages = await list_all(tenant, {"campaign": campaign, "search": "pager"}, limit=100)
        assert len({lead["id"] for lead in in_campaign}) == len(in_campaign) == 2000
