import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from coldsend.api.app import create_app
from coldsend.db.session import session_scope
from coldsend.workspace_members import service as member_service
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for, make_settings
from tests.dns_server import DnsServer, serve_dns

WORKSPACE_KEYS = {
    "id",
    "timestamp_created",
    "timestamp_updated",
    "scheduled_for_removal_at",
    "owner",
    "name",
    "plan_id",
    "plan_id_bundle",
    "add_unsub_to_block",
    "default_opportunity_value",
    "plan_id_leadfinder",
    "plan_id_verification",
    "org_logo_url",
    "org_client_domain",
    "plan_id_crm",
    "plan_id_website_visitor",
    "plan_id_inbox_placement",
}
CURRENT = "/api/v2/workspaces/current"
REMOVAL = f"{CURRENT}/schedule-for-removal"
DOMAIN = f"{CURRENT}/whitelabel-domain"
CHANGE_OWNER = f"{CURRENT}/change-owner"


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def unique_domain() -> str:
    return f"agency-{uuid.uuid4().hex[:10]}.example.com"


async def workspace_of(tenant: Tenant) -> dict[str, Any]:
    body: dict[str, Any] = (await tenant.client.get(CURRENT)).json()
    return body


async def members_by_email(tenant: Tenant) -> dict[str, dict[str, Any]]:
    items = (await tenant.client.get("/api/v2/workspace-members")).json()["items"]
    return {item["email"]: item for item in items}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with serve_dns() as server:
        yield server


@pytest.fixture(scope="module")
async def dns_app(
    database_url: str, dns_server: DnsServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """The app resolving DNS through the loopback server only."""
    settings = make_settings(
        database_url, tmp_path_factory.mktemp("dns-data"), dns_nameservers=[dns_server.nameserver]
    )
    application = create_app(settings, run_engine=False)
    async with application.router.lifespan_context(application):
        yield application


class TestGetWorkspace:
    async def test_returns_every_field(self, tenant: Tenant) -> None:
        response = await tenant.client.get(CURRENT)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == WORKSPACE_KEYS
        assert body["id"] == str(tenant.workspace_id)
        assert body["name"].startswith("Workspace ")
        owner = (await members_by_email(tenant))["owner@example.com"]
        assert body["owner"] == owner["user_id"]
        assert body["scheduled_for_removal_at"] is None
        assert body["org_client_domain"] is None
        assert body["plan_id_verification"] == {}
        for field in ("plan_id_bundle", "plan_id_leadfinder", "plan_id_crm", "plan_id_website_visitor"):
            assert body[field] is None
        assert len(body["timestamp_created"]) == 24
        assert body["timestamp_created"].endswith("Z")

    async def test_needs_read_scope(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["workspace_members:read"])
        async with client_for(app, key) as client:
            assert (await client.get(CURRENT)).status_code == 403


class TestPatchWorkspace:
    async def test_renames_and_sets_logo(self, tenant: Tenant) -> None:
        before = await workspace_of(tenant)
        response = await tenant.client.patch(
            CURRENT, json={"name": "Acme outreach", "org_logo_url": "https://acme.example/logo.png"}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == WORKSPACE_KEYS
        assert body["name"] == "Acme outreach"
        assert body["org_logo_url"] == "https://acme.example/logo.png"
        assert body["timestamp_updated"] >= before["timestamp_updated"]
        assert await workspace_of(tenant) == body

    async def test_clears_logo_and_keeps_name(self, tenant: Tenant) -> None:
        await tenant.client.patch(CURRENT, json={"org_logo_url": "https://acme.example/logo.png"})
        name = (await workspace_of(tenant))["name"]
        body = (await tenant.client.patch(CURRENT, json={"org_logo_url": None})).json()
        assert body["org_logo_url"] is None
        assert body["name"] == name

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"name": "x", "owner": str(uuid.uuid4())}, "body must NOT have additional properties"),
            ({"name": None}, "body/name must be string"),
            ({"name": ""}, "body/name must NOT have fewer than 1 characters"),
            ({"name": 7}, "body/name must be string"),
        ],
    )
    async def test_invalid_body_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        before = await workspace_of(tenant)
        response = await tenant.client.patch(CURRENT, json=payload)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}
        assert await workspace_of(tenant) == before


class TestScheduleCurrentWorkspaceRemoval:
    async def test_schedules_removal_in_a_day(self, tenant: Tenant) -> None:
        asked_at = datetime.now(UTC)
        response = await tenant.client.post(REMOVAL)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == WORKSPACE_KEYS
        due = parse_timestamp(body["scheduled_for_removal_at"])
        expected = asked_at + timedelta(days=1)
        assert expected - timedelta(seconds=1) <= due <= expected + timedelta(seconds=60)
        assert (await workspace_of(tenant))["scheduled_for_removal_at"] == body["scheduled_for_removal_at"]

    async def test_scheduling_again_keeps_the_date(self, tenant: Tenant) -> None:
        first = (await tenant.client.post(REMOVAL)).json()
        second = await tenant.client.post(REMOVAL, json={})
        assert second.status_code == 200
        assert second.json()["scheduled_for_removal_at"] == first["scheduled_for_removal_at"]

    async def test_needs_delete_scope(self, tenant: Tenant, make_key: MakeKey, app: FastAPI) -> None:
        key = await make_key(tenant.workspace_id, ["workspaces:update", "workspaces:read"])
        async with client_for(app, key) as client:
            assert (await client.post(REMOVAL)).status_code == 403
        assert (await workspace_of(tenant))["scheduled_for_removal_at"] is None


class TestCancelCurrentWorkspaceRemoval:
    async def test_cancels_a_scheduled_removal(self, tenant: Tenant) -> None:
        await tenant.client.post(REMOVAL)
        response = await tenant.client.delete(REMOVAL)
        assert response.status_code == 200
        assert set(response.json()) == WORKSPACE_KEYS
        assert response.json()["scheduled_for_removal_at"] is None
        assert (await workspace_of(tenant))["scheduled_for_removal_at"] is None

    async def test_scheduling_after_cancel_works(self, tenant: Tenant) -> None:
        await tenant.client.post(REMOVAL)
        await tenant.client.delete(REMOVAL)
        again = (await tenant.client.post(REMOVAL)).json()
        assert again["scheduled_for_removal_at"] is not None

    async def test_nothing_scheduled_is_a_no_op(self, tenant: Tenant) -> None:
        before = await workspace_of(tenant)
        response = await tenant.client.delete(REMOVAL)
        assert response.status_code == 200
        assert response.json() == before


class TestAddWorkspaceAgencyDomain:
    async def test_sets_the_normalized_domain(self, tenant: Tenant) -> None:
        domain = unique_domain()
        response = await tenant.client.post(DOMAIN, json={"domain": f" {domain.upper()}. "})
        assert response.status_code == 200
        assert set(response.json()) == WORKSPACE_KEYS
        assert response.json()["org_client_domain"] == domain
        assert (await workspace_of(tenant))["org_client_domain"] == domain

    async def test_internationalized_domain_is_stored_as_punycode(self, tenant: Tenant) -> None:
        body = (await tenant.client.post(DOMAIN, json={"domain": "bücher.example"})).json()
        assert body["org_client_domain"] == "xn--bcher-kva.example"

    async def test_same_domain_keeps_its_token_and_a_new_one_gets_another(self, tenant: Tenant) -> None:
        domain = unique_domain()
        await tenant.client.post(DOMAIN, json={"domain": domain})
        first = (await tenant.client.get(DOMAIN)).json()["verification"][0]["value"]
        await tenant.client.post(DOMAIN, json={"domain": domain})
        assert (await tenant.client.get(DOMAIN)).json()["verification"][0]["value"] == first
        await tenant.client.post(DOMAIN, json={"domain": unique_domain()})
        assert (await tenant.client.get(DOMAIN)).json()["verification"][0]["value"] != first

    @pytest.mark.parametrize(
        "domain",
        [
            "localhost",
            "not a domain",
            "-agency.example.com",
            "a..example.com",
            "example.123",
            "x" * 64 + ".com",
        ],
    )
    async def test_invalid_domain_is_400(self, tenant: Tenant, domain: str) -> None:
        response = await tenant.client.post(DOMAIN, json={"domain": domain})
        assert response.status_code == 400
        assert response.json()["message"] == 'body/domain must match format "hostname"'
        assert (await workspace_of(tenant))["org_client_domain"] is None

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({}, "body must have required property 'domain'"),
            ({"domain": 42}, "body/domain must be string"),
        ],
    )
    async def test_invalid_body_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        response = await tenant.client.post(DOMAIN, json=payload)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


class TestGetWorkspaceDomainInfo:
    async def test_unverified_until_the_txt_record_is_published(
        self, tenant: Tenant, dns_app: FastAPI, dns_server: DnsServer
    ) -> None:
        domain = unique_domain()
        await tenant.client.post(DOMAIN, json={"domain": domain})
        async with client_for(dns_app, tenant.key) as client:
            response = await client.get(DOMAIN)
            assert response.status_code == 200
            body = response.json()
            assert set(body) == {"verified", "name", "verification"}
            assert body["verified"] is False
            assert body["name"] == domain
            [record] = body["verification"]
            assert set(record) == {"type", "domain", "value", "reason"}
            assert record["type"] == "TXT"
            assert record["domain"] == f"_coldsend-verification.{domain}"
            assert record["value"].startswith("coldsend-verification=")

            dns_server.add(record["domain"], "TXT", record["value"])
            verified = (await client.get(DOMAIN)).json()
            assert verified["verified"] is True
            assert verified["verification"] == [record]

            dns_server.remove(record["domain"])
            assert (await client.get(DOMAIN)).json()["verified"] is False

    async def test_another_value_does_not_verify(
        self, tenant: Tenant, dns_app: FastAPI, dns_server: DnsServer
    ) -> None:
        domain = unique_domain()
        await tenant.client.post(DOMAIN, json={"domain": domain})
        dns_server.add(f"_coldsend-verification.{domain}", "TXT", "coldsend-verification=someone-else")
        dns_server.add(domain, "TXT", "v=spf1 -all")
        async with client_for(dns_app, tenant.key) as client:
            body = (await client.get(DOMAIN)).json()
        assert body["verified"] is False

    async def test_record_among_others_verifies(
        self, tenant: Tenant, dns_app: FastAPI, dns_server: DnsServer
    ) -> None:
        domain = unique_domain()
        await tenant.client.post(DOMAIN, json={"domain": domain})
        async with client_for(dns_app, tenant.key) as client:
            record = (await client.get(DOMAIN)).json()["verification"][0]
            dns_server.add(record["domain"], "TXT", "unrelated=1")
            dns_server.add(record["domain"], "TXT", record["value"])
            assert (await client.get(DOMAIN)).json()["verified"] is True

    async def test_no_domain_is_404(self, tenant: Tenant) -> None:
        response = await tenant.client.get(DOMAIN)
        assert response.status_code == 404
        assert response.json() == {
            "statusCode": 404,
            "error": "Not Found",
            "message": "No whitelabel domain is set for this workspace",
        }


class TestDeleteWorkspaceDomain:
    async def test_clears_the_domain(self, tenant: Tenant) -> None:
        await tenant.client.post(DOMAIN, json={"domain": unique_domain()})
        response = await tenant.client.delete(DOMAIN)
        assert response.status_code == 200
        assert set(response.json()) == WORKSPACE_KEYS
        assert response.json()["org_client_domain"] is None
        assert (await tenant.client.get(DOMAIN)).status_code == 404

    async def test_no_domain_is_a_no_op(self, tenant: Tenant) -> None:
        before = await workspace_of(tenant)
        response = await tenant.client.delete(DOMAIN)
        assert response.status_code == 200
        assert response.json() == before


class TestChangeWorkspaceOwner:
    @pytest.fixture
    async def accepted_member(self, tenant: Tenant, app: FastAPI) -> dict[str, Any]:
        email = f"next-owner-{uuid.uuid4().hex[:8]}@example.com"
        member = (
            await tenant.client.post("/api/v2/workspace-members", json={"email": email, "role": "editor"})
        ).json()
        async with session_scope(app.state.sessionmaker) as session:
            row = await member_service.get(
                session, workspace_id=tenant.workspace_id, member_id=uuid.UUID(member["id"])
            )
            assert row is not None
            await member_service.accept(session, row)
        return dict(member)

    async def test_hands_over_and_keeps_the_old_owner_as_admin(
        self, tenant: Tenant, accepted_member: dict[str, Any]
    ) -> None:
        old_owner = (await members_by_email(tenant))["owner@example.com"]
        response = await tenant.client.post(
            CHANGE_OWNER, json={"email": accepted_member["email"], "sec": str(tenant.workspace_id)}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == WORKSPACE_KEYS
        assert body["owner"] == accepted_member["user_id"]
        assert (await workspace_of(tenant))["owner"] == accepted_member["user_id"]
        members = await members_by_email(tenant)
        assert members[accepted_member["email"]]["role"] == "owner"
        assert members["owner@example.com"]["role"] == "admin"
        assert members["owner@example.com"]["id"] == old_owner["id"]

        # The old owner can now be removed; the new one cannot.
        new_owner_id = members[accepted_member["email"]]["id"]
        assert (await tenant.client.delete(f"/api/v2/workspace-members/{new_owner_id}")).status_code == 400
        assert (await tenant.client.delete(f"/api/v2/workspace-members/{old_owner['id']}")).status_code == 200

    async def test_current_owner_is_a_no_op(self, tenant: Tenant) -> None:
        before = await workspace_of(tenant)
        response = await tenant.client.post(
            CHANGE_OWNER, json={"email": "owner@example.com", "sec": str(tenant.workspace_id)}
        )
        assert response.status_code == 200
        assert response.json()["owner"] == before["owner"]

    async def test_wrong_confirmation_is_400(self, tenant: Tenant, accepted_member: dict[str, Any]) -> None:
        before = await workspace_of(tenant)
        response = await tenant.client.post(
            CHANGE_OWNER, json={"email": accepted_member["email"], "sec": str(uuid.uuid4())}
        )
        assert response.status_code == 400
        assert response.json()["message"].startswith("body/sec must be the id of this workspace")
        assert (await workspace_of(tenant))["owner"] == before["owner"]

    async def test_pending_invitation_is_400(self, tenant: Tenant) -> None:
        email = f"pending-{uuid.uuid4().hex[:8]}@example.com"
        await tenant.client.post("/api/v2/workspace-members", json={"email": email, "role": "admin"})
        response = await tenant.client.post(
            CHANGE_OWNER, json={"email": email, "sec": str(tenant.workspace_id)}
        )
        assert response.status_code == 400
        assert response.json()["message"] == f"{email} has not accepted the invitation to this workspace yet"

    async def test_non_member_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        email = f"elsewhere-{uuid.uuid4().hex[:8]}@example.com"
        await other.client.post("/api/v2/workspace-members", json={"email": email, "role": "admin"})
        response = await tenant.client.post(
            CHANGE_OWNER, json={"email": email, "sec": str(tenant.workspace_id)}
        )
        assert response.status_code == 404
        assert "is not a member of this workspace" in response.json()["message"]

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"sec": "x"}, "body must have required property 'email'"),
            ({"email": "a@example.com"}, "body must have required property 'sec'"),
            ({"email": "nope", "sec": "x"}, 'body/email must match format "email"'),
        ],
    )
    async def test_invalid_body_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        response = await tenant.client.post(CHANGE_OWNER, json=payload)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}
