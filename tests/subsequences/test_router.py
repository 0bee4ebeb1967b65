import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.models import Lead
from coldsend.subsequences import service as subsequence_service
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import create_campaign, create_subsequence
from tests.pages import collect_pages

SUBSEQUENCE_FIELDS = {
    "id",
    "timestamp_created",
    "parent_campaign",
    "workspace",
    "status",
    "timestamp_leads_updated",
    "name",
    "conditions",
    "subsequence_schedule",
    "sequences",
    "auto_variant_select",
    "daily_limit_mode",
    "daily_limit",
    "ignore_account_daily_limit",
}
SCHEDULE = {
    "schedules": [
        {
            "name": "Weekdays",
            "timing": {"from": "09:00", "to": "17:00"},
            "days": {"1": True, "2": True, "3": True, "4": True, "5": True},
            "timezone": "America/Chicago",
        }
    ],
    "start_date": "2026-01-05",
    "end_date": None,
}
# "to" is exclusive, so one 00:00-23:59 window is shut for a minute a day; two zones hours apart
# never shut at the same minute.
ALWAYS = {
    "schedules": [
        {
            "name": "Always",
            "timing": {"from": "00:00", "to": "23:59"},
            "days": {str(day): True for day in range(7)},
            "timezone": zone,
        }
        for zone in ("Etc/GMT+12", "Asia/Kolkata")
    ]
}
SEQUENCES = [
    {
        "steps": [
            {
                "type": "email",
                "delay": 2,
                "pre_delay": 1,
                "pre_delay_unit": "hours",
                "variants": [{"subject": "Re: {{firstName}}", "body": "Following up<br/>"}],
            }
        ]
    }
]


async def create_parent(tenant: Tenant) -> str:
    """A draft campaign on SCHEDULE, which its subsequences inherit; its id."""
    return str((await create_campaign(tenant, "Parent", campaign_schedule=SCHEDULE))["id"])


class TestCreateSubsequence:
    async def test_spec_shape_and_inherited_schedule(self, tenant: Tenant) -> None:
        campaign_id = await create_parent(tenant)
        body = await create_subsequence(tenant, campaign_id)
        assert set(body) == SUBSEQUENCE_FIELDS
        assert body["parent_campaign"] == campaign_id
        assert body["workspace"] == str(tenant.workspace_id)
        assert body["status"] == 0
        assert body["conditions"] == {"crm_status": [1]}
        assert body["subsequence_schedule"]["schedules"][0]["timezone"] == "America/Chicago"
        assert body["sequences"] == []
        assert body["daily_limit_mode"] == "inherit"
        assert body["ignore_account_daily_limit"] is False
        assert uuid.UUID(body["id"]).version == 7
        assert body["timestamp_leads_updated"].endswith("Z")

    async def test_all_fields(self, tenant: Tenant) -> None:
        campaign_id = await create_parent(tenant)
        body = await create_subsequence(
            tenant,
            campaign_id,
            conditions={
                "crm_status": [-30000, 2, 30000],
                "lead_activity": [2, 4, 91],
                "reply_contains": "yes",
            },
            subsequence_schedule=ALWAYS,
            sequences=SEQUENCES,
            auto_variant_select={"trigger": "reply_rate"},
            daily_limit_mode="custom",
            daily_limit=50,
            ignore_account_daily_limit=True,
        )
        assert body["conditions"] == {
            "crm_status": [-30000, 2, 30000],
            "lead_activity": [2, 4, 91],
            "reply_contains": "yes",
        }
        assert body["subsequence_schedule"]["schedules"][0]["timing"] == {"from": "00:00", "to": "23:59"}
        step = body["sequences"][0]["steps"][0]
        assert (step["pre_delay"], step["pre_delay_unit"], step["delay_unit"]) == (1, "hours", "days")
        assert step["variants"][0]["subject"] == "Re: {{firstName}}"
        assert body["auto_variant_select"] == {"trigger": "reply_rate"}
        assert (body["daily_limit_mode"], body["daily_limit"]) == ("custom", 50)
        assert body["ignore_account_daily_limit"] is True

    async def test_validation_400s(self, tenant: Tenant) -> None:
        campaign_id = await create_parent(tenant)
        base = {"parent_campaign": campaign_id, "name": "x", "conditions": {}}
        bad_tz = {"schedules": [{**ALWAYS["schedules"][0], "timezone": "Mars/Base"}]}
        bad_day = {"schedules": [{**ALWAYS["schedules"][0], "days": {"7": True}}]}
        no_days = {"schedules": [{**ALWAYS["schedules"][0], "days": {}}]}
        bad_time = {"schedules": [{**ALWAYS["schedules"][0], "timing": {"from": "24:00", "to": "10:00"}}]}
        no_variants = [{"steps": [{"type": "email", "delay": 1, "variants": []}]}]
        cases: list[tuple[dict[str, Any], str]] = [
            ({"name": "x", "conditions": {}}, "body must have required property 'parent_campaign'"),
            ({"parent_campaign": campaign_id, "name": "x"}, "body must have required property 'conditions'"),
            (
                {**base, "conditions": {"crm_status": [30001]}},
                "body/conditions/crm_status/0 must be <= 30000",
            ),
            (
                {**base, "conditions": {"crm_status": [-30001]}},
                "body/conditions/crm_status/0 must be >= -30000",
            ),
            (
                {**base, "conditions": {"lead_activity": [3]}},
                "body/conditions/lead_activity/0 must be equal to one of the allowed values (allowed: 2, 4, "
                "91)",
            ),
            ({**base, "conditions": {"reply_contains": 5}}, "body/conditions/reply_contains must be string"),
            (
                {**base, "subsequence_schedule": bad_tz},
                "body/subsequence_schedule/schedules/0/timezone must be equal to one of the allowed values ("
                "102 allowed, e.g. 'Etc/GMT+12', 'Etc/GMT+11', 'Etc/GMT+10', 'America/Anchorage', "
                "'America/Dawson'; "
                "the full list is this field's enum in /openapi.json)",
            ),
            ({**base, "subsequence_schedule": {"schedules": []}}, ""),
            ({**base, "subsequence_schedule": bad_day}, ""),
            ({**base, "subsequence_schedule": no_days}, ""),
            ({**base, "subsequence_schedule": bad_time}, ""),
            (
                {**base, "sequences": no_variants},
                "body/sequences/0/steps/0/variants must NOT have fewer than 1 items",
            ),
            (
                {**base, "daily_limit_mode": "sometimes"},
                "body/daily_limit_mode must be equal to one of the allowed values "
                "(allowed: 'inherit', 'custom', 'unlimited')",
            ),
            ({**base, "status": 1}, "body must NOT have additional properties"),
            ({**base, "name": ""}, "body/name must NOT have fewer than 1 characters"),
        ]
        for body, message in cases:
            response = await tenant.client.post("/api/v2/subsequences", json=body)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["statusCode"] == 400
            if message:
                assert response.json()["message"] == message, body
        assert (await tenant.client.get("/api/v2/subsequences")).json() == {"items": []}

    async def test_parent_campaign_of_other_workspace_is_404(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        campaign_id = await create_parent(other)
        for parent in (campaign_id, str(uuid.uuid4())):
            response = await tenant.client.post(
                "/api/v2/subsequences", json={"parent_campaign": parent, "name": "x", "conditions": {}}
            )
            assert response.status_code == 404
            assert response.json()["error"] == "Not Found"

    async def test_403_without_scope(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        campaign_id = await create_parent(tenant)
        key = await make_key(tenant.workspace_id, ["subsequences:read", "subsequences:update"])
        async with client_for(app, key) as client:
            response = await client.post(
                "/api/v2/subsequences", json={"parent_campaign": campaign_id, "name": "x", "conditions": {}}
            )
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"


class TestListSubsequences:
    async def test_pages_and_filters(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        first, second = await create_parent(tenant), await create_parent(tenant)
        ids = [(await create_subsequence(tenant, first, name=f"Nudge {i}"))["id"] for i in range(5)]
        other = await create_subsequence(tenant, second, name="Breakup")
        items, pages = await collect_pages(tenant.client, "/api/v2/subsequences", limit=2)
        assert [item["id"] for item in items] == [*ids, other["id"]]
        assert pages == 3
        assert set(items[0]) == SUBSEQUENCE_FIELDS
        only = await collect_pages(
            tenant.client, "/api/v2/subsequences", limit=10, params={"parent_campaign": second}
        )
        assert [item["id"] for item in only[0]] == [other["id"]]
        excluded = await collect_pages(
            tenant.client, "/api/v2/subsequences", limit=10, params={"parent_campaign_not": first}
        )
        assert [item["id"] for item in excluded[0]] == [other["id"]]
        found = await collect_pages(
            tenant.client, "/api/v2/subsequences", limit=10, params={"search": "BREAK"}
        )
        assert [item["id"] for item in found[0]] == [other["id"]]
        stranger = await make_tenant()
        assert (await stranger.client.get("/api/v2/subsequences")).json() == {"items": []}


class TestGetPatchDeleteSubsequence:
    async def test_get_and_404_across_workspaces(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        created = await create_subsequence(tenant, await create_parent(tenant))
        path = f"/api/v2/subsequences/{created['id']}"
        assert (await tenant.client.get(path)).json() == created
        other = await make_tenant()
        other_campaign = await create_parent(other)
        for method, suffix, kwargs in [
            ("GET", "", {}),
            ("PATCH", "", {"json": {"name": "x"}}),
            ("DELETE", "", {}),
            ("POST", "/pause", {}),
            ("POST", "/resume", {}),
            ("POST", "/duplicate", {"json": {"parent_campaign": other_campaign}}),
            ("GET", "/sending-status", {}),
        ]:
            response = await other.client.request(method, path + suffix, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 404, (method, suffix, response.text)
        assert (await tenant.client.get(path)).json() == created

    async def test_patch_replaces_and_audits(self, tenant: Tenant) -> None:
        created = await create_subsequence(tenant, await create_parent(tenant))
        path = f"/api/v2/subsequences/{created['id']}"
        response = await tenant.client.patch(
            path,
            json={
                "name": "Renamed",
                "conditions": {"reply_contains": "interested"},
                "sequences": SEQUENCES,
                "subsequence_schedule": ALWAYS,
                "daily_limit_mode": "unlimited",
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "Renamed"
        assert body["conditions"] == {"reply_contains": "interested"}
        assert body["sequences"][0]["steps"][0]["delay"] == 2
        assert body["subsequence_schedule"]["schedules"][0]["name"] == "Always"
        assert body["daily_limit_mode"] == "unlimited"
        assert (body["id"], body["timestamp_created"], body["status"]) == (
            created["id"],
            created["timestamp_created"],
            0,
        )
        assert (await tenant.client.get(path)).json() == body
        logs = (await tenant.client.get("/api/v2/audit-logs", params={"activity_type": 12})).json()["items"]
        assert len(logs) == 1

    async def test_patch_validation(self, tenant: Tenant) -> None:
        created = await create_subsequence(tenant, await create_parent(tenant))
        path = f"/api/v2/subsequences/{created['id']}"
        for body, message in [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"name": None}, "body/name must be string"),
            ({"conditions": None}, ""),
            ({"parent_campaign": str(uuid.uuid4())}, "body must NOT have additional properties"),
            ({"status": 1}, "body must NOT have additional properties"),
            ({"conditions": {"crm_status": [40000]}}, "body/conditions/crm_status/0 must be <= 30000"),
        ]:
            response = await tenant.client.patch(path, json=body)
            assert response.status_code == 400, (body, response.text)
            if message:
                assert response.json()["message"] == message
        assert (await tenant.client.get(path)).json() == created

    async def test_delete_returns_it_and_its_leads_leave(self, app: FastAPI, tenant: Tenant) -> None:
        campaign_id = await create_parent(tenant)
        created = await create_subsequence(tenant, campaign_id)
        async with session_scope(app.state.sessionmaker) as session:
            lead = Lead(
                workspace_id=tenant.workspace_id, campaign_id=uuid.UUID(campaign_id), email="a@example.com"
            )
            session.add(lead)
            await session.flush()
            lead_id = lead.id
        async with session_scope(app.state.sessionmaker) as session:
            subsequence = await subsequence_service.get(
                session, workspace_id=tenant.workspace_id, subsequence_id=uuid.UUID(created["id"])
            )
            stored_lead = await session.get(Lead, lead_id)
            assert subsequence is not None
            assert stored_lead is not None
            await subsequence_service.enter(session, subsequence, stored_lead)
        response = await tenant.client.delete(f"/api/v2/subsequences/{created['id']}")
        assert response.status_code == 200
        assert response.json()["id"] == created["id"]
        assert (await tenant.client.get(f"/api/v2/subsequences/{created['id']}")).status_code == 404
        async with session_scope(app.state.sessionmaker) as session:
            row = (
                await session.execute(select(Lead.subsequence_id, Lead.campaign_id).where(Lead.id == lead_id))
            ).one()
        assert row == (None, uuid.UUID(campaign_id))


class TestDuplicateSubsequence:
    async def test_copies_into_campaign_as_draft(self, tenant: Tenant) -> None:
        source = await create_subsequence(tenant, await create_parent(tenant), sequences=SEQUENCES)
        await tenant.client.post(f"/api/v2/subsequences/{source['id']}/resume")
        target = await create_parent(tenant)
        response = await tenant.client.post(
            f"/api/v2/subsequences/{source['id']}/duplicate", json={"parent_campaign": target}
        )
        assert response.status_code == 200, response.text
        copy = response.json()
        assert copy["id"] != source["id"]
        assert (copy["parent_campaign"], copy["name"], copy["status"]) == (target, source["name"], 0)
        assert (copy["conditions"], copy["sequences"]) == (source["conditions"], source["sequences"])
        named = await tenant.client.post(
            f"/api/v2/subsequences/{source['id']}/duplicate", json={"parent_campaign": target, "name": "Copy"}
        )
        assert named.json()["name"] == "Copy"

    async def test_needs_parent_campaign(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        source = await create_subsequence(tenant, await create_parent(tenant))
        path = f"/api/v2/subsequences/{source['id']}/duplicate"
        response = await tenant.client.post(path, json={})
        assert response.status_code == 400
        assert response.json()["message"] == "body must have required property 'parent_campaign'"
        other_campaign = await create_parent(await make_tenant())
        assert (await tenant.client.post(path, json={"parent_campaign": other_campaign})).status_code == 404


class TestPauseResume:
    async def test_transitions(self, tenant: Tenant) -> None:
        created = await create_subsequence(tenant, await create_parent(tenant), sequences=SEQUENCES)
        path = f"/api/v2/subsequences/{created['id']}"
        resumed = await tenant.client.post(f"{path}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == 1
        paused = await tenant.client.post(f"{path}/pause", json={})
        assert paused.json()["status"] == 2
        assert (await tenant.client.post(f"{path}/pause")).json()["status"] == 2
        assert (await tenant.client.post(f"{path}/resume")).json()["status"] == 1
        assert (await tenant.client.get(path)).json()["status"] == 1
        logs = (await tenant.client.get("/api/v2/audit-logs", params={"activity_type": 12})).json()["items"]
        assert len(logs) == 4

    async def test_resume_needs_a_step(self, tenant: Tenant) -> None:
        created = await create_subsequence(tenant, await create_parent(tenant))
        response = await tenant.client.post(f"/api/v2/subsequences/{created['id']}/resume")
        assert response.status_code == 400
        assert (await tenant.client.get(f"/api/v2/subsequences/{created['id']}")).json()["status"] == 0

    async def test_403_with_read_scope(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        created = await create_subsequence(tenant, await create_parent(tenant), sequences=SEQUENCES)
        key = await make_key(tenant.workspace_id, ["subsequences:read"])
        async with client_for(app, key) as client:
            for action in ("pause", "resume"):
                response = await client.post(f"/api/v2/subsequences/{created['id']}/{action}")
                assert response.status_code == 403


class TestSendingStatus:
    async def test_draft_then_active(self, tenant: Tenant) -> None:
        created = await create_subsequence(
            tenant, await create_parent(tenant), sequences=SEQUENCES, subsequence_schedule=ALWAYS
        )
        path = f"/api/v2/subsequences/{created['id']}"
        body = (await tenant.client.get(f"{path}/sending-status")).json()
        assert set(body) == {"diagnostics", "summary"}
        assert body["diagnostics"]["subsequence_id"] == created["id"]
        assert body["diagnostics"]["campaign_id"] == created["parent_campaign"]
        assert body["diagnostics"]["status"] == "campaign_draft"
        assert body["summary"]["status"] == "campaign_draft"
        assert body["diagnostics"]["schedule_status"] == {"in_schedule": True}
        await tenant.client.post(f"{path}/resume")
        body = (await tenant.client.get(f"{path}/sending-status", params={"with_ai_summary": "true"})).json()
        assert body["diagnostics"]["status"] in {"no_accounts_available", "waiting_for_leads"}


class TestRouting:
    async def test_analytics_is_not_taken_for_an_id(self, tenant: Tenant) -> None:
        response = await tenant.client.get(
            "/api/v2/subsequences/analytics", params={"campaign_id": str(uuid.uuid4())}
        )
        # Taken for GET /subsequences/{id}, "analytics" would be a 400 (not a uuid), not this 404.
        assert response.status_code == 404, response.text
