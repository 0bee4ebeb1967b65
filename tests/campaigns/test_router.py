import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from coldsend.campaigns import schedule
from coldsend.campaigns.timezones import TIMEZONES
from coldsend.db.session import session_scope
from coldsend.models import Lead
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import create_account, create_campaign, ensure_accounts
from tests.pages import collect_pages

PATH = "/api/v2/campaigns"
NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
HH_MM_ERROR = 'must match pattern "^([01][0-9]|2[0-3]):([0-5][0-9])$"'
ALL_DAYS = {str(day): True for day in range(7)}
CAMPAIGN_FIELDS = {
    "id", "name", "pl_value", "status", "is_evergreen", "campaign_schedule", "sequences",
    "timestamp_created", "timestamp_updated", "email_gap", "random_wait_max", "text_only",
    "first_email_text_only", "email_list", "daily_limit", "stop_on_reply", "email_tag_list",
    "link_tracking", "open_tracking", "stop_on_auto_reply", "daily_max_leads", "prioritize_new_leads",
    "auto_variant_select", "match_lead_esp", "not_sending_status", "stop_for_company", "core_variables",
    "custom_variables", "insert_unsubscribe_header", "allow_risky_contacts", "disable_bounce_protect",
    "limit_emails_per_company_override", "cc_list", "bcc_list", "organization", "owned_by", "ai_sdr_id",
    "provider_routing_rules",
}  # fmt: skip


def campaign_schedule(**overrides: Any) -> dict[str, Any]:
    entry = {
        "name": "Office hours",
        "timing": {"from": "00:00", "to": "23:59"},
        "days": ALL_DAYS,
        "timezone": "America/Chicago",
    }
    entry.update(overrides)
    return {"schedules": [entry], "start_date": None, "end_date": None}


STEPS = [
    {
        "type": "email",
        "delay": 2,
        "delay_unit": "days",
        "variants": [
            {"subject": "Hi {{firstName}}", "body": "Hey {{firstName}},<br/>hello"},
            {"subject": "Hello", "body": "B", "v_disabled": True},
        ],
    },
    {"type": "email", "delay": 3, "variants": [{"subject": "Re: hi", "body": "Following up"}]},
]


def ready(**overrides: Any) -> dict[str, Any]:
    """A campaign body that can be activated."""
    body: dict[str, Any] = {
        "name": "Q4 outreach",
        "campaign_schedule": campaign_schedule(),
        "sequences": [{"steps": STEPS}],
        "email_list": ["Sender@Example.com"],
    }
    body.update(overrides)
    return body


async def add_lead(app: FastAPI, tenant: Tenant, campaign_id: str, email: str, status: int = 1) -> None:
    async with session_scope(app.state.sessionmaker) as session:
        session.add(
            Lead(
                workspace_id=tenant.workspace_id,
                campaign_id=uuid.UUID(campaign_id),
                email=email,
                status=status,
            )
        )


async def audit_types(tenant: Tenant) -> list[int]:
    logs = (await tenant.client.get("/api/v2/audit-logs")).json()["items"]
    return [log["activity_type"] for log in logs]


class TestCreateCampaign:
    async def test_draft_with_every_field(self, tenant: Tenant) -> None:
        owner = (await tenant.client.get("/api/v2/workspaces/current")).json()["owner"]
        tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "senders"})).json()["id"]
        body = ready(
            pl_value=100,
            is_evergreen=False,
            email_gap=10,
            random_wait_max=5,
            text_only=False,
            first_email_text_only=True,
            email_tag_list=[tag],
            daily_limit=50,
            stop_on_reply=True,
            link_tracking=True,
            open_tracking=True,
            stop_on_auto_reply=False,
            daily_max_leads=20,
            prioritize_new_leads=True,
            auto_variant_select={"trigger": "reply_rate"},
            match_lead_esp=True,
            stop_for_company=True,
            insert_unsubscribe_header=True,
            allow_risky_contacts=False,
            disable_bounce_protect=False,
            limit_emails_per_company_override={"mode": "custom", "daily_limit": 3, "scope": "per_campaign"},
            cc_list=["cc@example.com"],
            bcc_list=["bcc@example.com"],
            owned_by=owner,
            provider_routing_rules=[{"action": "send", "recipient_esp": ["google"], "sender_esp": ["all"]}],
        )
        body["campaign_schedule"]["start_date"] = "2026-01-05"
        created = await create_campaign(tenant, **body)
        assert set(created) == CAMPAIGN_FIELDS
        assert created["status"] == 0
        assert created["organization"] == str(tenant.workspace_id)
        assert uuid.UUID(created["id"]).version == 7
        assert created["timestamp_created"].endswith("Z")
        assert created["email_list"] == ["sender@example.com"]
        assert created["email_tag_list"] == [tag]
        assert created["owned_by"] == owner
        assert created["campaign_schedule"]["schedules"][0]["timing"] == {"from": "00:00", "to": "23:59"}
        assert created["campaign_schedule"]["start_date"] == "2026-01-05"
        steps = created["sequences"][0]["steps"]
        assert steps[1]["delay_unit"] == "days"
        assert steps[0]["variants"][0]["v_disabled"] is False
        assert steps[0]["variants"][1]["v_disabled"] is True
        assert created["limit_emails_per_company_override"]["daily_limit"] == 3
        assert created["not_sending_status"] is None
        fetched = await tenant.client.get(f"{PATH}/{created['id']}")
        assert fetched.json() == created

    async def test_minimal_body(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, name="Bare", campaign_schedule=campaign_schedule())
        assert created["sequences"] == []
        assert created["email_list"] == []
        assert created["open_tracking"] is False
        assert created["daily_limit"] is None

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"campaign_schedule": None}, "body/campaign_schedule must be object"),
            (
                {"campaign_schedule": campaign_schedule(timezone="Mars/Olympus")},
                "body/campaign_schedule/schedules/0/timezone must be equal to one of the allowed values ("
                "102 allowed, e.g. 'Etc/GMT+12', 'Etc/GMT+11', 'Etc/GMT+10', 'America/Anchorage', "
                "'America/Dawson'; "
                "the full list is this field's enum in /openapi.json)",
            ),
            (
                {"campaign_schedule": campaign_schedule(days={"7": True})},
                "body/campaign_schedule/schedules/0/days must NOT have additional properties "
                '(days are "0" Sunday to "6" Saturday)',
            ),
            (
                {"campaign_schedule": campaign_schedule(days={})},
                "body/campaign_schedule/schedules/0/days must NOT have fewer than 1 properties",
            ),
            (
                {"campaign_schedule": campaign_schedule(timing={"from": "9:00", "to": "17:00"})},
                f"body/campaign_schedule/schedules/0/timing/from {HH_MM_ERROR}",
            ),
            (
                {"campaign_schedule": campaign_schedule(timing={"from": "09:00", "to": "24:00"})},
                f"body/campaign_schedule/schedules/0/timing/to {HH_MM_ERROR}",
            ),
            (
                {"campaign_schedule": {"schedules": []}},
                "body/campaign_schedule/schedules must NOT have fewer than 1 items",
            ),
            (
                {"sequences": [{"steps": [{"type": "email", "delay": 1}]}]},
                "body/sequences/0/steps/0 must have required property 'variants'",
            ),
            (
                {"sequences": [{"steps": [{"type": "email", "delay": 1, "variants": []}]}]},
                "body/sequences/0/steps/0/variants must NOT have fewer than 1 items",
            ),
            (
                {
                    "sequences": [
                        {"steps": [{"type": "sms", "delay": 1, "variants": [{"subject": "a", "body": "b"}]}]}
                    ]
                },
                "body/sequences/0/steps/0/type must be equal to one of the allowed values (allowed: 'email')",
            ),
            (
                {
                    "sequences": [
                        {"steps": [{"type": "email", "delay": 1, "delay_unit": "weeks", "variants": []}]}
                    ]
                },
                "body/sequences/0/steps/0/delay_unit must be equal to one of the allowed values ("
                "allowed: 'minutes', 'hours', 'days')",
            ),
            ({"email_list": ["not-an-email"]}, 'body/email_list/0 must match format "email"'),
            ({"cc_list": ["@@"]}, 'body/cc_list/0 must match format "email"'),
            ({"email_list": None}, "body/email_list must be array"),
            ({"daily_limit": -1}, "body/daily_limit must be >= 0"),
            (
                {"auto_variant_select": {"trigger": "x"}},
                "body/auto_variant_select/trigger must be equal to one of the allowed values ("
                "allowed: 'reply_rate', 'click_rate', 'open_rate')",
            ),
            ({"status": 1}, "body must NOT have additional properties"),
            ({"name": ""}, "body/name must NOT have fewer than 1 characters"),
            ({"name": "a\x00b"}, "body/name must not contain NUL characters"),
        ],
    )
    async def test_invalid_is_400(self, tenant: Tenant, change: dict[str, Any], message: str) -> None:
        response = await tenant.client.post(PATH, json=ready(**change))
        assert response.status_code == 400, response.text
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_missing_schedule(self, tenant: Tenant) -> None:
        response = await tenant.client.post(PATH, json={"name": "x"})
        assert response.json()["message"] == "body must have required property 'campaign_schedule'"

    async def test_every_spec_timezone_is_accepted(self, tenant: Tenant) -> None:
        assert len(TIMEZONES) == 102
        body = ready()
        body["campaign_schedule"]["schedules"] = [
            {"name": tz, "timing": {"from": "09:00", "to": "17:00"}, "days": {"1": True}, "timezone": tz}
            for tz in TIMEZONES[:100]
        ]
        await ensure_accounts(tenant, body["email_list"])
        assert (await tenant.client.post(PATH, json=body)).status_code == 200


class TestListCampaigns:
    async def test_pages_and_filters(self, tenant: Tenant) -> None:
        names = ["Alpha launch", "Beta", "alpha follow-up", "Gamma"]
        ids = [(await create_campaign(tenant, **ready(name=name)))["id"] for name in names]
        items, pages = await collect_pages(tenant.client, PATH, limit=3)
        assert [item["id"] for item in items] == ids
        assert pages == 2
        found = (await tenant.client.get(PATH, params={"search": "ALPHA"})).json()["items"]
        assert [item["name"] for item in found] == ["Alpha launch", "alpha follow-up"]
        await tenant.client.post(f"{PATH}/{ids[1]}/activate")
        active = (await tenant.client.get(PATH, params={"status": 1})).json()["items"]
        assert [item["id"] for item in active] == [ids[1]]
        others = (await tenant.client.get(PATH, params={"exclude_status": 1})).json()["items"]
        assert [item["id"] for item in others] == [ids[0], ids[2], ids[3]]
        bad = await tenant.client.get(PATH, params={"status": 7})
        assert bad.status_code == 400
        assert bad.json()["message"] == (
            "querystring/status must be equal to one of the allowed values (allowed: -99, -1, -2, 0, 1, 2, "
            "3, 4)"
        )

    async def test_tag_filter(self, tenant: Tenant) -> None:
        first, second, _third = [(await create_campaign(tenant, **ready(name=n)))["id"] for n in "abc"]
        tags = [
            (await tenant.client.post("/api/v2/custom-tags", json={"label": n})).json()["id"] for n in "xy"
        ]
        toggle = {"tag_ids": [tags[0]], "resource_type": 2, "assign": True, "resource_ids": [first]}
        assert (
            await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        ).status_code == 200
        toggle = {"tag_ids": [tags[1]], "resource_type": 2, "assign": True, "resource_ids": [second]}
        assert (
            await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        ).status_code == 200
        found = (await tenant.client.get(PATH, params={"tag_ids": tags[0]})).json()["items"]
        assert [item["id"] for item in found] == [first]
        found = (await tenant.client.get(PATH, params={"tag_ids": ",".join(tags)})).json()["items"]
        assert [item["id"] for item in found] == [first, second]
        assert (await tenant.client.get(PATH, params={"tag_ids": "nope"})).status_code == 400

        await tenant.client.delete(f"{PATH}/{first}")
        mappings = (await tenant.client.get("/api/v2/custom-tag-mappings")).json()["items"]
        assert [m["resource_id"] for m in mappings] == [second]

    async def test_only_own_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        await create_campaign(other, **ready())
        assert (await tenant.client.get(PATH)).json() == {"items": []}


class TestGetPatchDelete:
    async def test_other_workspace_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        campaign_id = (await create_campaign(other, **ready()))["id"]
        for method, suffix, body in [
            ("GET", "", None),
            ("PATCH", "", {"name": "x"}),
            ("DELETE", "", None),
            ("POST", "/activate", None),
            ("POST", "/pause", None),
            ("POST", "/share", None),
            ("POST", "/export", None),
            ("POST", "/duplicate", {}),
            ("POST", "/variables", {"variables": ["x"]}),
            ("GET", "/sending-status", None),
        ]:
            response = await tenant.client.request(method, f"{PATH}/{campaign_id}{suffix}", json=body)
            assert response.status_code == 404, (method, suffix, response.text)
            assert response.json() == NOT_FOUND
        assert (await other.client.get(f"{PATH}/{campaign_id}")).status_code == 200

    async def test_patch_replaces_arrays_and_audits(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        await ensure_accounts(tenant, ["b@example.com"])
        response = await tenant.client.patch(
            f"{PATH}/{created['id']}",
            json={"email_list": ["b@example.com"], "daily_limit": None, "stop_on_reply": True},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["email_list"] == ["b@example.com"]
        assert body["stop_on_reply"] is True
        assert body["name"] == created["name"]
        assert body["sequences"] == created["sequences"]
        assert 11 in await audit_types(tenant)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"name": None}, "body/name must be string"),
            ({"campaign_schedule": None}, "body/campaign_schedule must be object"),
            ({"sequences": None}, "body/sequences must be array"),
            ({"open_tracking": None}, "body/open_tracking must be boolean"),
            ({"ai_sdr_id": str(uuid.uuid4())}, "body must NOT have additional properties"),
        ],
    )
    async def test_patch_invalid(self, tenant: Tenant, body: dict[str, Any], message: str) -> None:
        created = await create_campaign(tenant, **ready())
        response = await tenant.client.patch(f"{PATH}/{created['id']}", json=body)
        assert response.status_code == 400
        assert response.json()["message"] == message

    async def test_delete_returns_campaign_and_removes_leads(self, app: FastAPI, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        await add_lead(app, tenant, created["id"], "lead@example.com")
        response = await tenant.client.delete(f"{PATH}/{created['id']}")
        assert response.status_code == 200
        assert response.json() == created
        assert (await tenant.client.get(f"{PATH}/{created['id']}")).status_code == 404
        found = await tenant.client.get(f"{PATH}/search-by-contact", params={"search": "lead@example.com"})
        assert found.json() == {"items": []}
        assert 3 in await audit_types(tenant)


class TestStatusTransitions:
    async def test_activate_pause_resume(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        activated = await tenant.client.post(f"{PATH}/{created['id']}/activate")
        assert activated.status_code == 200
        assert activated.json()["status"] == 1
        again = await tenant.client.post(f"{PATH}/{created['id']}/activate", json={})
        assert again.json()["status"] == 1
        paused = await tenant.client.post(f"{PATH}/{created['id']}/pause")
        assert paused.json()["status"] == 2
        assert (await tenant.client.post(f"{PATH}/{created['id']}/pause")).json()["status"] == 2
        assert (await tenant.client.post(f"{PATH}/{created['id']}/activate")).json()["status"] == 1
        assert (await tenant.client.get(f"{PATH}/count-launched")).json() == {"count": 1}
        types = await audit_types(tenant)
        assert types.count(4) == 2
        assert types.count(5) == 1

    @pytest.mark.parametrize(
        ("body", "problem"),
        [
            (ready(sequences=[]), "it has no sequence steps"),
            (ready(sequences=[{"steps": []}]), "it has no sequence steps"),
            (
                ready(
                    sequences=[
                        {
                            "steps": [
                                {
                                    "type": "email",
                                    "delay": 1,
                                    "variants": [{"subject": "a", "body": "b", "v_disabled": True}],
                                }
                            ]
                        }
                    ]
                ),
                "step 1 has no enabled variant",
            ),
            (ready(email_list=[]), "it has no sending accounts"),
            (
                ready(campaign_schedule=campaign_schedule(days={"1": False})),
                "its schedule has no sending window",
            ),
            (
                ready(campaign_schedule={**campaign_schedule(), "end_date": "2020-01-01"}),
                "end_date has passed",
            ),
        ],
    )
    async def test_activation_refused(self, tenant: Tenant, body: dict[str, Any], problem: str) -> None:
        created = await create_campaign(tenant, **body)
        response = await tenant.client.post(f"{PATH}/{created['id']}/activate")
        assert response.status_code == 400
        assert response.json()["message"].startswith("Campaign cannot be activated: ")
        assert problem in response.json()["message"]
        assert (await tenant.client.get(f"{PATH}/{created['id']}")).json()["status"] == 0

    async def test_account_tags_count_as_accounts(self, tenant: Tenant) -> None:
        tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "senders"})).json()["id"]
        await create_account(tenant, "tagged@example.com")
        toggle = {
            "tag_ids": [tag],
            "resource_type": 1,
            "resource_ids": ["tagged@example.com"],
            "assign": True,
        }
        await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        created = await create_campaign(tenant, **ready(email_list=[], email_tag_list=[tag]))
        assert (await tenant.client.post(f"{PATH}/{created['id']}/activate")).status_code == 200

    async def test_draft_cannot_be_paused(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        response = await tenant.client.post(f"{PATH}/{created['id']}/pause")
        assert response.status_code == 400
        assert response.json()["message"] == "Campaign cannot be paused: it is draft, not sending"


class TestCopies:
    async def test_duplicate(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        await tenant.client.post(f"{PATH}/{created['id']}/activate")
        copy = (await tenant.client.post(f"{PATH}/{created['id']}/duplicate")).json()
        assert copy["name"] == "Q4 outreach (copy)"
        assert copy["status"] == 0
        assert copy["id"] != created["id"]
        assert copy["sequences"] == created["sequences"]
        assert copy["email_list"] == created["email_list"]
        named = await tenant.client.post(f"{PATH}/{created['id']}/duplicate", json={"name": "Q1"})
        assert named.json()["name"] == "Q1"
        assert (await tenant.client.get(f"{PATH}/count-launched")).json() == {"count": 1}

    async def test_export_is_the_campaign(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        exported = await tenant.client.post(f"{PATH}/{created['id']}/export")
        assert exported.status_code == 200
        assert exported.json() == created

    async def test_share_then_copy_from_another_workspace(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        owner = (await tenant.client.get("/api/v2/workspaces/current")).json()["owner"]
        created = await create_campaign(tenant, **ready(owned_by=owner))
        refused = await other.client.post(f"{PATH}/{created['id']}/from-export")
        assert refused.status_code == 404
        assert refused.json()["error"] == "Not Found"
        shared = await tenant.client.post(f"{PATH}/{created['id']}/share", json={})
        assert shared.status_code == 204
        assert shared.content == b""
        copied = await other.client.post(f"{PATH}/{created['id']}/from-export")
        assert copied.status_code == 200, copied.text
        body = copied.json()
        assert body["organization"] == str(other.workspace_id)
        assert body["status"] == 0
        assert body["sequences"] == created["sequences"]
        assert body["campaign_schedule"] == created["campaign_schedule"]
        assert body["email_list"] == []
        assert body["owned_by"] is None
        missing = await other.client.post(f"{PATH}/{uuid.uuid4()}/from-export")
        assert missing.status_code == 404


class TestVariables:
    async def test_adds_core_and_custom(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        response = await tenant.client.post(
            f"{PATH}/{created['id']}/variables", json={"variables": ["firstName", "industry", "industry"]}
        )
        assert response.status_code == 200
        assert response.json()["core_variables"] == {"firstName": ""}
        assert response.json()["custom_variables"] == {"industry": ""}
        bad = await tenant.client.post(f"{PATH}/{created['id']}/variables", json={"variables": ["{{x}}"]})
        assert bad.status_code == 400
        missing = await tenant.client.post(f"{PATH}/{created['id']}/variables", json={})
        assert missing.json()["message"] == "body must have required property 'variables'"


class TestSearchByContact:
    async def test_campaigns_holding_the_lead(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        first = await create_campaign(tenant, **ready(name="B"))
        second = await create_campaign(tenant, **ready(name="A"))
        await create_campaign(tenant, **ready(name="C"))
        await add_lead(app, tenant, first["id"], "jane@example.com")
        await add_lead(app, tenant, second["id"], "jane@example.com")
        other = await make_tenant()
        elsewhere = await create_campaign(other, **ready())
        await add_lead(app, other, elsewhere["id"], "jane@example.com")
        found = await tenant.client.get(f"{PATH}/search-by-contact", params={"search": "Jane@Example.com"})
        assert found.status_code == 200
        assert [item["id"] for item in found.json()["items"]] == [first["id"], second["id"]]
        by_name = await tenant.client.get(
            f"{PATH}/search-by-contact",
            params={"search": "jane@example.com", "sort_column": "name", "sort_order": "desc"},
        )
        assert [item["name"] for item in by_name.json()["items"]] == ["B", "A"]
        bad = await tenant.client.get(f"{PATH}/search-by-contact", params={"sort_order": "up"})
        assert bad.status_code == 400


class TestSendingStatus:
    async def test_draft_has_summary_only(self, tenant: Tenant) -> None:
        created = await create_campaign(tenant, **ready())
        body = (await tenant.client.get(f"{PATH}/{created['id']}/sending-status")).json()
        assert body["diagnostics"] is None
        assert body["summary"]["status"] == "campaign_draft"

    async def test_active_reasons(self, app: FastAPI, tenant: Tenant) -> None:
        # "to" is exclusive: two 00:00-23:59 windows hours apart are never shut at the same minute
        always = campaign_schedule(timezone="Etc/GMT+12")
        other_side = {**always["schedules"][0], "name": "Other side", "timezone": "Asia/Kolkata"}
        always["schedules"].append(other_side)
        created = await create_campaign(tenant, **ready(campaign_schedule=always))
        await tenant.client.post(f"{PATH}/{created['id']}/activate")
        body = (await tenant.client.get(f"{PATH}/{created['id']}/sending-status")).json()
        assert body["diagnostics"]["status"] == "waiting_for_leads"
        assert body["diagnostics"]["leads_status"] == {"no_leads_ready": True}
        await add_lead(app, tenant, created["id"], "lead@example.com")
        body = (await tenant.client.get(f"{PATH}/{created['id']}/sending-status")).json()
        assert body["summary"]["status"] == "healthy"
        assert body["diagnostics"]["schedule_status"] == {"in_schedule": True}
        await tenant.client.patch(f"{PATH}/{created['id']}", json={"email_list": []})
        body = (await tenant.client.get(f"{PATH}/{created['id']}/sending-status")).json()
        assert body["summary"]["status"] == "no_accounts_available"

    async def test_out_of_schedule(self, tenant: Tenant) -> None:
        future = {**campaign_schedule(), "start_date": "2099-01-01"}
        created = await create_campaign(tenant, **ready(campaign_schedule=future))
        await tenant.client.post(f"{PATH}/{created['id']}/activate")
        body = (await tenant.client.get(f"{PATH}/{created['id']}/sending-status")).json()
        assert body["summary"]["status"] == "out_of_schedule"
        assert body["diagnostics"]["schedule_status"] == {"in_schedule": False}


class TestScheduleWindows:
    def test_window_in_campaign_timezone(self) -> None:
        entry = {
            "timing": {"from": "09:00", "to": "17:00"},
            "days": {"1": True},
            "timezone": "America/Chicago",
        }
        plan = {"schedules": [entry]}
        monday_10_chicago = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
        assert schedule.in_schedule(plan, monday_10_chicago)
        assert not schedule.in_schedule(plan, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
        assert not schedule.in_schedule(plan, datetime(2026, 11, 24, 16, 0, tzinfo=UTC))

    def test_overnight_window(self) -> None:
        entry = {"timing": {"from": "22:00", "to": "02:00"}, "days": {"1": True}, "timezone": "Etc/GMT-12"}
        plan = {"schedules": [entry]}
        assert schedule.in_schedule(plan, datetime(2026, 11, 23, 11, 0, tzinfo=UTC))  # Mon 23:00
        assert schedule.in_schedule(plan, datetime(2026, 11, 23, 13, 0, tzinfo=UTC))  # Tue 01:00
        assert not schedule.in_schedule(plan, datetime(2026, 11, 23, 15, 0, tzinfo=UTC))


class TestAuth:
    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        created = await create_campaign(tenant, **ready())
        key = await make_key(tenant.workspace_id, ["campaigns:read"])
        async with client_for(app, key) as reader:
            assert (await reader.get(f"{PATH}/{created['id']}")).status_code == 200
            for response in [
                await reader.post(PATH, json=ready()),
                await reader.patch(f"{PATH}/{created['id']}", json={"name": "x"}),
                await reader.delete(f"{PATH}/{created['id']}"),
                await reader.post(f"{PATH}/{created['id']}/activate"),
                await reader.post(f"{PATH}/{created['id']}/duplicate"),
            ]:
                assert response.status_code == 403
                assert response.json()["error"] == "Forbidden"
