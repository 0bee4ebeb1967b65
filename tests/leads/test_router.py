import uuid
from typing import Any

from fastapi import FastAPI

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.leads.helpers import PATH, add, create, list_all, make_campaign, make_list, set_fields

LEAD_FIELDS = [
    "id", "timestamp_created", "timestamp_updated", "organization", "campaign", "status", "email",
    "personalization", "website", "last_name", "first_name", "company_name", "job_title", "phone",
    "email_open_count", "email_reply_count", "email_click_count", "company_domain", "status_summary",
    "payload", "status_summary_subseq", "last_step_from", "last_step_id", "last_step_timestamp_executed",
    "email_opened_step", "email_opened_variant", "email_replied_step", "email_replied_variant",
    "email_clicked_step", "email_clicked_variant", "lt_interest_status", "subsequence_id",
    "verification_status", "pl_value_lead", "timestamp_added_subsequence", "timestamp_last_contact",
    "timestamp_last_open", "timestamp_last_reply", "timestamp_last_interest_change", "timestamp_last_click",
    "enrichment_status", "list_id", "last_contacted_from", "uploaded_by_user", "upload_method",
    "assigned_to", "is_website_visitor", "timestamp_last_touch", "esp_code", "esg_code",
]  # fmt: skip
ADD_COUNTERS = [
    "status", "total_sent", "leads_uploaded", "in_blocklist", "blocklist_used", "duplicated_leads",
    "skipped_count", "invalid_email_count", "incomplete_count", "duplicate_email_count", "remaining_in_plan",
    "created_leads",
]  # fmt: skip


async def audit_types(tenant: Tenant, activity_type: int) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/v2/audit-logs", params={"activity_type": activity_type})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestCreateLead:
    async def test_spec_shape_in_campaign(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        lead = await create(
            tenant,
            campaign=str(campaign),
            email="  Jane.Doe@Example.COM ",
            first_name="Jane",
            lt_interest_status=1,
            custom_variables={"city": "Paris", "seats": 3, "vip": True, "note": None},
        )
        assert list(lead) == LEAD_FIELDS
        assert uuid.UUID(lead["id"]).version == 7
        assert lead["organization"] == str(tenant.workspace_id)
        assert lead["campaign"] == str(campaign)
        assert lead["list_id"] is None
        assert lead["email"] == "jane.doe@example.com"
        assert lead["company_domain"] == "example.com"
        assert lead["status"] == 1
        assert lead["upload_method"] == "api"
        assert lead["lt_interest_status"] == 1
        assert lead["timestamp_last_interest_change"].endswith("Z")
        assert lead["payload"] == {"city": "Paris", "seats": 3, "vip": True, "note": None}
        assert lead["status_summary"] == {}
        assert (lead["email_open_count"], lead["email_reply_count"], lead["email_click_count"]) == (0, 0, 0)
        assert len(lead["timestamp_created"]) == 24
        got = await tenant.client.get(f"{PATH}/{lead['id']}")
        assert got.json() == lead
        [audit] = await audit_types(tenant, 9)
        assert audit["campaign_id"] == str(campaign)

    async def test_list_lead_needs_a_name_or_email(self, app: FastAPI, tenant: Tenant) -> None:
        lead_list = await make_list(app, tenant.workspace_id)
        lead = await create(tenant, list_id=str(lead_list), first_name="Only")
        assert lead["email"] is None
        assert lead["list_id"] == str(lead_list)
        response = await tenant.client.post(PATH, json={"list_id": str(lead_list), "phone": "1"})
        assert response.status_code == 400
        assert response.json()["message"] == "body must have required property 'email'"

    async def test_validation(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        lead_list = await make_list(app, tenant.workspace_id)
        cases: list[tuple[dict[str, Any], str]] = [
            ({"campaign": str(campaign), "email": "not-an-email"}, 'body/email must match format "email"'),
            ({"campaign": str(campaign)}, "body must have required property 'email'"),
            (
                {"campaign": str(campaign), "list_id": str(lead_list), "email": "a@example.com"},
                "body must not have both properties 'campaign' and 'list_id'",
            ),
            ({"campaign": "nope", "email": "a@example.com"}, 'body/campaign must match format "uuid"'),
            (
                {"email": "a@example.com", "lt_interest_status": 1.5},
                "body/lt_interest_status must be integer",
            ),
            ({"email": "a@example.com", "color": "red"}, "body must NOT have additional properties"),
        ]
        for body, message in cases:
            response = await tenant.client.post(PATH, json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_same_campaign_returns_existing_and_skip_flags(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        other = await make_campaign(app, tenant.workspace_id)
        first = await create(tenant, campaign=str(campaign), email="x@example.com")
        again = await create(tenant, campaign=str(campaign), email="X@example.com")
        assert again["id"] == first["id"]
        elsewhere = await create(tenant, campaign=str(other), email="x@example.com")
        assert elsewhere["id"] != first["id"]
        skipped = await create(
            tenant, campaign=str(await make_campaign(app, tenant.workspace_id)), email="x@example.com",
            skip_if_in_workspace=True,
        )  # fmt: skip
        assert skipped["id"] in {first["id"], elsewhere["id"]}

    async def test_other_workspace_campaign_is_404(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        stranger = await make_tenant()
        campaign = await make_campaign(app, stranger.workspace_id)
        response = await tenant.client.post(PATH, json={"campaign": str(campaign), "email": "a@example.com"})
        assert response.status_code == 404


class TestGetPatchDeleteLead:
    async def test_patch_merges_custom_variables(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        lead = await create(
            tenant, campaign=str(campaign), email="p@example.com", custom_variables={"a": "1", "b": 2}
        )
        response = await tenant.client.patch(
            f"{PATH}/{lead['id']}",
            json={"first_name": "Pat", "custom_variables": {"b": 3, "c": False}, "lt_interest_status": -1},
        )
        assert response.status_code == 200, response.text
        patched = response.json()
        assert patched["payload"] == {"a": "1", "b": 3, "c": False}
        assert patched["first_name"] == "Pat"
        assert patched["lt_interest_status"] == -1
        assert patched["timestamp_updated"] >= lead["timestamp_updated"]
        cleared = (await tenant.client.patch(f"{PATH}/{lead['id']}", json={"first_name": None})).json()
        assert cleared["first_name"] is None
        assert cleared["payload"] == patched["payload"]

    async def test_patch_validation(self, app: FastAPI, tenant: Tenant) -> None:
        lead = await create(
            tenant, campaign=str(await make_campaign(app, tenant.workspace_id)), email="v@x.io"
        )
        for body, message in [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"email": "new@example.com"}, "body must NOT have additional properties"),
            ({"lt_interest_status": None}, "body/lt_interest_status must be number"),
            ({"custom_variables": {"a": [1]}}, None),
        ]:
            response = await tenant.client.patch(f"{PATH}/{lead['id']}", json=body)
            assert response.status_code == 400, (body, response.text)
            if message:
                assert response.json()["message"] == message

    async def test_delete_returns_the_lead(self, app: FastAPI, tenant: Tenant) -> None:
        lead = await create(
            tenant, campaign=str(await make_campaign(app, tenant.workspace_id)), email="d@x.io"
        )
        response = await tenant.client.delete(f"{PATH}/{lead['id']}")
        assert response.status_code == 200
        assert response.json() == lead
        assert (await tenant.client.get(f"{PATH}/{lead['id']}")).status_code == 404
        assert (await tenant.client.delete(f"{PATH}/{lead['id']}")).status_code == 404
        [audit] = await audit_types(tenant, 2)
        assert audit["affected_count"] == 1

    async def test_other_workspace_is_404(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        lead = await create(
            tenant, campaign=str(await make_campaign(app, tenant.workspace_id)), email="o@x.io"
        )
        stranger = await make_tenant()
        url = f"{PATH}/{lead['id']}"
        assert (await stranger.client.get(url)).status_code == 404
        assert (await stranger.client.patch(url, json={"first_name": "x"})).status_code == 404
        assert (await stranger.client.delete(url)).status_code == 404
        merge = {"lead_id": lead["id"], "destination_lead_id": lead["id"]}
        assert (await stranger.client.post(f"{PATH}/merge", json=merge)).status_code == 404
        assert (await tenant.client.get(url)).json() == lead


class TestScopes:
    async def test_scope_is_enforced(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        async with client_for(app, await make_key(tenant.workspace_id, ["leads:read"])) as reader:
            response = await reader.post(PATH, json={"campaign": str(campaign), "email": "a@example.com"})
            assert response.status_code == 403
            response = await reader.post(f"{PATH}/add", json={"campaign_id": str(campaign), "leads": [{}]})
            assert response.status_code == 403
            assert (
                await reader.request("DELETE", PATH, json={"campaign_id": str(campaign)})
            ).status_code == 403
            assert (await reader.post(f"{PATH}/list", json={})).status_code == 200
        async with client_for(app, await make_key(tenant.workspace_id, ["campaigns:all"])) as other:
            assert (await other.post(f"{PATH}/list", json={})).status_code == 403
            assert (await other.get(f"{PATH}/{uuid.uuid4()}")).status_code == 403


class TestBulkAddLeads:
    async def test_counters_are_exact(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        lead_list = await make_list(app, tenant.workspace_id)
        await create(tenant, campaign=str(campaign), email="already@example.com")
        await create(tenant, list_id=str(lead_list), email="inlist@example.com")
        blocked = await tenant.client.post(
            "/api/v2/block-lists-entries/bulk-create",
            json={"bl_values": ["blocked@example.com", "spam.test"]},
        )
        assert blocked.status_code == 200
        leads: list[dict[str, Any]] = [
            {"email": "new1@example.com", "first_name": "A", "phone": "+1"},  # 0 uploaded
            {"email": "NEW1@example.com"},  # 1 duplicate in payload
            {"email": "already@example.com"},  # 2 duplicated (in this campaign)
            {"email": "blocked@example.com"},  # 3 blocklist (address)
            {"email": "anyone@spam.test"},  # 4 blocklist (domain)
            {"email": "not an email"},  # 5 invalid
            {"first_name": "No email"},  # 6 invalid (campaign needs an email)
            {"email": "inlist@example.com"},  # 7 skipped (skip_if_in_list)
            {"email": "new2@example.com", "custom_variables": {"k": "v"}},  # 8 uploaded
        ]
        result = await add(tenant, leads, campaign_id=str(campaign), skip_if_in_list=True)
        assert list(result) == ADD_COUNTERS
        assert {k: v for k, v in result.items() if k != "created_leads"} == {
            "status": "success",
            "total_sent": 9,
            "leads_uploaded": 2,
            "in_blocklist": 2,
            "blocklist_used": None,
            "duplicated_leads": 1,
            "skipped_count": 1,
            "invalid_email_count": 2,
            "incomplete_count": 0,
            "duplicate_email_count": 1,
            "remaining_in_plan": None,
        }
        created = result["created_leads"]
        assert [(c["index"], c["email"], c["first_name"], c["phone"]) for c in created] == [
            (0, "new1@example.com", "A", "+1"),
            (8, "new2@example.com", None, None),
        ]
        stored = (await tenant.client.get(f"{PATH}/{created[1]['id']}")).json()
        assert stored["payload"] == {"k": "v"}
        assert stored["campaign"] == str(campaign)
        [audit] = [a for a in await audit_types(tenant, 9) if a["affected_count"] == 2]
        assert audit["campaign_id"] == str(campaign)
        again = await add(tenant, leads, campaign_id=str(campaign))
        assert again["leads_uploaded"] == 1  # inlist@ now; no skip flag
        assert again["duplicated_leads"] == 3

    async def test_list_counters_and_skip_in_workspace(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = await make_campaign(app, tenant.workspace_id)
        lead_list = await make_list(app, tenant.workspace_id)
        await create(tenant, campaign=str(campaign), email="taken@example.com")
        leads = [
            {"first_name": "Name only"},
            {"phone": "123"},
            {"email": "taken@example.com"},
            {"email": "@"},
        ]
        result = await add(tenant, leads, list_id=str(lead_list), skip_if_in_workspace=True)
        assert (result["leads_uploaded"], result["incomplete_count"], result["skipped_count"]) == (1, 1, 1)
        assert result["invalid_email_count"] == 1
        assert result["created_leads"][0]["index"] == 0

    async def test_validation(self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant) -> None:
        campaign = str(await make_campaign(app, tenant.workspace_id))
        lead_list = str(await make_list(app, tenant.workspace_id))
        one = [{"email": "a@example.com"}]
        both = "body must have exactly one of the properties 'campaign_id' and 'list_id'"
        cases: list[tuple[dict[str, Any], str]] = [
            ({"campaign_id": campaign, "leads": [{"email": f"{i}@x.io"} for i in range(1001)]},
             "body/leads must NOT have more than 1000 items"),
            ({"campaign_id": campaign, "leads": []}, "body/leads must NOT have fewer than 1 items"),
            ({"campaign_id": campaign, "list_id": lead_list, "leads": one}, both),
            ({"leads": one}, both),
            ({"campaign_id": campaign}, "body must have required property 'leads'"),
        ]  # fmt: skip
        for body, message in cases:
            response = await tenant.client.post(f"{PATH}/add", json=body)
            assert response.status_code == 400, response.text
            assert response.json()["message"] == message
        stranger = await make_tenant()
        response = await stranger.client.post(f"{PATH}/add", json={"campaign_id": campaign, "leads": one})
        assert response.status_code == 404

    async def test_max_batch(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = str(await make_campaign(app, tenant.workspace_id))
        leads = [{"email": f"lead{i}@example.com", "lt_interest_status": 2} for i in range(1000)]
        result = await add(tenant, leads, campaign_id=campaign)
        assert result["leads_uploaded"] == 1000
        assert [c["index"] for c in result["created_leads"]] == list(range(1000))
        stored = (await tenant.client.get(f"{PATH}/{result['created_leads'][999]['id']}")).json()
        assert stored["lt_interest_status"] == 2
        assert stored["timestamp_last_interest_change"] is not None


class TestBulkDeleteLeads:
    async def test_filters_and_count(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = str(await make_campaign(app, tenant.workspace_id))
        other = str(await make_campaign(app, tenant.workspace_id))
        created = (await add(tenant, [{"email": f"d{i}@x.io"} for i in range(10)], campaign_id=campaign))[
            "created_leads"
        ]
        await add(tenant, [{"email": "keep@x.io"}], campaign_id=other)
        await set_fields(app, created[0]["id"], status=-1)
        await set_fields(app, created[1]["id"], status=-1)

        async def delete(body: dict[str, Any]) -> int:
            response = await tenant.client.request("DELETE", PATH, json=body)
            assert response.status_code == 200, response.text
            count: int = response.json()["count"]
            return count

        assert await delete({"campaign_id": campaign, "status": -1}) == 2
        assert await delete({"campaign_id": campaign, "ids": [created[2]["id"], created[0]["id"]]}) == 1
        assert await delete({"campaign_id": campaign, "limit": 3}) == 3
        assert await delete({"campaign_id": campaign}) == 4
        assert await delete({"campaign_id": campaign}) == 0
        items, _ = await list_all(tenant, {})
        assert [lead["email"] for lead in items] == ["keep@x.io"]
        audits = await audit_types(tenant, 2)
        assert sorted(a["affected_count"] for a in audits) == [1, 2, 3, 4]

    async def test_validation_and_other_workspace(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        response = await tenant.client.request("DELETE", PATH, json={"status": 1})
        assert response.status_code == 400
        assert response.json()["message"] == "body must have required property 'campaign_id'"
        response = await tenant.client.request(
            "DELETE", PATH, json={"campaign_id": str(uuid.uuid4()), "limit": 0}
        )
        assert response.status_code == 400
        stranger = await make_tenant()
        campaign = str(await make_campaign(app, stranger.workspace_id))
        response = await tenant.client.request("DELETE", PATH, json={"campaign_id": campaign})
        assert response.status_code == 404


class TestMergeLeads:
    async def test_merge(self, app: FastAPI, tenant: Tenant) -> None:
        campaign = str(await make_campaign(app, tenant.workspace_id))
        source = await create(
            tenant, campaign=campaign, email="s@x.io", first_name="Sam", phone="1",
            custom_variables={"a": "source", "b": "source"},
        )  # fmt: skip
        destination = await create(
            tenant, campaign=campaign, email="d@x.io", phone="2", custom_variables={"b": "dest"}
        )
        await set_fields(app, source["id"], email_open_count=2)
        await set_fields(app, destination["id"], email_open_count=1)
        response = await tenant.client.post(
            f"{PATH}/merge", json={"lead_id": source["id"], "destination_lead_id": destination["id"]}
        )
        assert response.status_code == 200, response.text
        merged = response.json()
        assert merged["id"] == destination["id"]
        assert (merged["email"], merged["first_name"], merged["phone"]) == ("d@x.io", "Sam", "2")
        assert merged["payload"] == {"a": "source", "b": "dest"}
        assert merged["email_open_count"] == 3
        assert (await tenant.client.get(f"{PATH}/{source['id']}")).status_code == 404
        [audit] = await audit_types(tenant, 10)
        assert audit["affected_count"] == 1
        same = {"lead_id": destination["id"], "destination_lead_id": destination["id"]}
        assert (await tenant.client.post(f"{PATH}/merge", json=same)).status_code == 400
        gone = {"lead_id": source["id"], "destination_lead_id": destination["id"]}
        assert (await tenant.client.post(f"{PATH}/merge", json=gone)).status_code == 404
        assert (await tenant.client.post(f"{PATH}/merge", json={"lead_id": source["id"]})).status_code == 400
