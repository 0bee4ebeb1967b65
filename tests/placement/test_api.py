"""The placement operations' rules over HTTP: bad input is a 400 in the envelope (an unknown sender account,
no seeds, a schedule an automated test cannot run on, a threshold out of range), another workspace's test,
row or report is a 404, a key without the scope a 403; seeds never show their IMAP password."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.factories import create_account

TESTS = "/api/v2/inbox-placement-tests"
SEEDS = f"{TESTS}/seeds"
SEED_PASSWORD = "seed-Imap-Passw0rd-7"
SCHEDULE = {"days": {"1": True, "3": True}, "timing": {"from": "10:00"}, "timezone": "Africa/Abidjan"}


def seed_body(email: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": email,
        "imap_host": "127.0.0.1",
        "imap_port": 1143,
        "imap_password": SEED_PASSWORD,
        "imap_tls": "cleartext",
        "esp": "Google",
        **fields,
    }


def placement_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Placement",
        "type": 1,
        "sending_method": 1,
        "email_subject": "Hello",
        "email_body": "Hi {{firstName}}",
        "emails": ["sender@acme.test"],
        **fields,
    }


async def world(tenant: Tenant) -> None:
    await create_account(tenant, "sender@acme.test")
    for email in ("s1@seeds.test", "s2@seeds.test"):
        response = await tenant.client.post(SEEDS, json=seed_body(email))
        assert response.status_code == 200, response.text


async def bad(tenant: Tenant, body: dict[str, Any]) -> str:
    response = await tenant.client.post(TESTS, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["statusCode"] == 400
    assert response.json()["error"] == "Bad Request"
    return str(response.json()["message"])


class TestCreate:
    async def test_created_with_its_recipients_and_next_run(self, tenant: Tenant) -> None:
        await world(tenant)
        response = await tenant.client.post(
            TESTS, json=placement_body(type=2, schedule=SCHEDULE, test_code="abc-1")
        )
        assert response.status_code == 200, response.text
        test = response.json()
        assert test["recipients"] == ["s1@seeds.test", "s2@seeds.test"]
        assert test["test_code"] == "ptid_abc-1"
        assert test["status"] == 1
        assert test["timestamp_next_run"] is not None
        assert test["schedule"] == SCHEDULE
        fetched = await tenant.client.get(f"{TESTS}/{test['id']}", params={"with_metadata": "true"})
        assert fetched.json()["metadata"] == {}

    async def test_no_seeds_is_400(self, tenant: Tenant) -> None:
        await create_account(tenant, "sender@acme.test")
        assert "no seeds" in await bad(tenant, placement_body())

    async def test_labels_that_pick_no_seed_are_400(self, tenant: Tenant) -> None:
        await world(tenant)
        label = {"region": "Europe", "sub_region": "IT", "type": "Personal", "esp": "Libero.it"}
        assert "no seeds" in await bad(tenant, placement_body(recipients_labels=[label]))

    async def test_unknown_sender_account_is_400(self, tenant: Tenant) -> None:
        await world(tenant)
        message = await bad(tenant, placement_body(emails=["sender@acme.test", "ghost@acme.test"]))
        assert "ghost@acme.test" in message

    async def test_another_workspaces_account_is_unknown(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        await create_account(other, "theirs@other.test")
        await world(tenant)
        assert "theirs@other.test" in await bad(tenant, placement_body(emails=["theirs@other.test"]))

    @pytest.mark.parametrize(
        "schedule",
        [
            None,
            {"days": {"1": False}, "timing": {"from": "10:00"}, "timezone": "Africa/Abidjan"},
            {"days": {"1": True}, "timing": {"from": "25:00"}, "timezone": "Africa/Abidjan"},
            {"days": {"9": True}, "timing": {"from": "10:00"}, "timezone": "Africa/Abidjan"},
            {"days": {"1": True}, "timing": {"from": "10:00"}, "timezone": "Mars/Olympus"},
        ],
    )
    async def test_invalid_schedule_is_400(self, tenant: Tenant, schedule: dict[str, Any] | None) -> None:
        await world(tenant)
        body = placement_body(type=2, **({"schedule": schedule} if schedule else {}))
        assert await bad(tenant, body)

    @pytest.mark.parametrize("value", [-1, 101, None])
    async def test_threshold_out_of_range_is_400(self, tenant: Tenant, value: float | None) -> None:
        await world(tenant)
        automation = {
            "when": {"condition": "placement_goes_below", "condition_value": value},
            "then": {"pause": True},
        }
        assert "0 to 100" in await bad(tenant, placement_body(automations=[automation]))

    async def test_unknown_tag_in_an_automation_is_400(self, tenant: Tenant) -> None:
        await world(tenant)
        automation = {"when": {"condition": "added_to_blacklists"}, "then": {"add_tags": [str(uuid.uuid4())]}}
        assert "no custom tag" in await bad(tenant, placement_body(automations=[automation]))

    async def test_a_webhook_action_needs_an_http_url(self, tenant: Tenant) -> None:
        await world(tenant)
        automation = {"when": {"condition": "added_to_blacklists"}, "then": {"webhook_url": "ftp://x.test/h"}}
        assert "uri" in await bad(tenant, placement_body(automations=[automation]))

    async def test_a_seed_cannot_send(self, tenant: Tenant) -> None:
        await world(tenant)
        await create_account(tenant, "box@seedacct.test")
        response = await tenant.client.post(SEEDS, json={"email": "box@seedacct.test"})
        assert response.status_code == 200, response.text
        assert response.json()["account_id"] is not None
        assert "placement seed" in await bad(tenant, placement_body(emails=["box@seedacct.test"]))


class TestSeeds:
    async def test_password_is_never_shown(self, tenant: Tenant) -> None:
        await world(tenant)
        listed = await tenant.client.get(SEEDS)
        assert listed.status_code == 200
        assert [seed["email"] for seed in listed.json()["items"]] == ["s1@seeds.test", "s2@seeds.test"]
        assert SEED_PASSWORD not in listed.text
        options = await tenant.client.get(f"{TESTS}/email-service-provider-options")
        assert options.json() == [
            {"region": "North America", "sub_region": "US", "type": "Professional", "esp": "Google"}
        ]

    async def test_an_address_that_is_no_account_needs_imap(self, tenant: Tenant) -> None:
        response = await tenant.client.post(SEEDS, json={"email": "nobody@seeds.test"})
        assert response.status_code == 400
        assert "imap_host" in response.json()["message"]

    async def test_duplicate_is_409(self, tenant: Tenant) -> None:
        await world(tenant)
        response = await tenant.client.post(SEEDS, json=seed_body("s1@seeds.test"))
        assert response.status_code == 409


class TestTenancy:
    async def test_another_workspaces_objects_are_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await world(tenant)
        test_id = (await tenant.client.post(TESTS, json=placement_body())).json()["id"]
        seed_id = (await tenant.client.get(SEEDS)).json()["items"][0]["id"]
        other = await make_tenant()
        for method, path, body in [
            ("GET", f"{TESTS}/{test_id}", None),
            ("PATCH", f"{TESTS}/{test_id}", {"name": "Mine now"}),
            ("DELETE", f"{TESTS}/{test_id}", None),
            ("DELETE", f"{SEEDS}/{seed_id}", None),
            ("GET", "/api/v2/inbox-placement-analytics", None),
            ("POST", "/api/v2/inbox-placement-analytics/stats-by-test-id", {"test_ids": [test_id]}),
            ("POST", "/api/v2/inbox-placement-analytics/stats-by-date", {"test_id": test_id}),
            ("POST", "/api/v2/inbox-placement-analytics/deliverability-insights", {"test_id": test_id}),
            ("GET", "/api/v2/inbox-placement-reports", None),
        ]:
            params = (
                {"test_id": test_id} if method == "GET" and "placement-" in path and "{" not in path else None
            )
            response = await other.client.request(method, path, json=body, params=params)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["message"] == "Resource not found"
        assert (await tenant.client.get(f"{TESTS}/{test_id}")).json()["name"] == "Placement"

    async def test_missing_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        await world(tenant)
        key = await make_key(tenant.workspace_id, ["inbox_placement_tests:read"])
        async with client_for(app, key) as reader:
            assert (await reader.get(TESTS)).status_code == 200
            response = await reader.post(TESTS, json=placement_body())
            assert response.status_code == 403
            assert response.json()["error"] == "Forbidden"
            response = await reader.get(
                "/api/v2/inbox-placement-reports", params={"test_id": str(uuid.uuid4())}
            )
            assert response.status_code == 403


class TestPatch:
    async def test_only_name_schedule_automations_status(self, tenant: Tenant) -> None:
        await world(tenant)
        body = placement_body(type=2, schedule=SCHEDULE)
        test_id = (await tenant.client.post(TESTS, json=body)).json()["id"]
        response = await tenant.client.patch(f"{TESTS}/{test_id}", json={"email_subject": "Other"})
        assert response.status_code == 400
        response = await tenant.client.patch(f"{TESTS}/{test_id}", json={"status": 2, "name": "Weekly"})
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["name"]) == (2, "Weekly")
        listed = await tenant.client.get(TESTS, params={"status": 2, "search": "week"})
        assert [item["id"] for item in listed.json()["items"]] == [test_id]
        deleted = await tenant.client.delete(f"{TESTS}/{test_id}")
        assert deleted.status_code == 200
        assert (await tenant.client.get(f"{TESTS}/{test_id}")).status_code == 404
