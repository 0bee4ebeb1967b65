"""The warmup settings, warmup-analytics and the pool report over HTTP: bad input is a 400 in Instantly's
envelope, keys need their scope, and a workspace sees only its own accounts and pool."""

from typing import Any

import pytest

from tests.conftest import MakeTenant, Tenant
from tests.factories import account_body, create_account

ACCOUNTS = "/api/v2/accounts"
ANALYTICS = "/api/v2/accounts/warmup-analytics"
POOL = "/api/v2/accounts/warmup/pool"


def assert_bad_request(response: Any, *words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["statusCode"], body["error"]) == (400, "Bad Request")
    for word in words:
        assert word in body["message"]


class TestWarmupSettings:
    @pytest.mark.parametrize("increment", ["5", "-1", "fast", 2])
    async def test_increment_out_of_range_400(self, tenant: Tenant, increment: object) -> None:
        body = account_body("ramp@example.com", warmup={"limit": 10, "increment": increment})
        assert_bad_request(await tenant.client.post(ACCOUNTS, json=body), "increment")

    async def test_reply_rate_above_one_400(self, tenant: Tenant) -> None:
        body = account_body("rate@example.com", warmup={"reply_rate": 1.5})
        assert_bad_request(await tenant.client.post(ACCOUNTS, json=body), "reply_rate")

    async def test_patch_rates_checked_too(self, tenant: Tenant) -> None:
        await create_account(tenant, "patch@example.com")
        response = await tenant.client.patch(
            f"{ACCOUNTS}/patch@example.com", json={"warmup": {"advanced": {"spam_save_rate": 2}}}
        )
        assert_bad_request(response, "spam_save_rate")

    async def test_settings_are_kept_and_shown(self, tenant: Tenant) -> None:
        warmup = {
            "limit": 20,
            "increment": "3",
            "reply_rate": 0.4,
            "warmup_custom_ftag": "maplewood",
            "advanced": {"open_rate": 0.9, "weekday_only": True, "read_emulation": True},
        }
        created = await create_account(tenant, "kept@example.com", warmup=warmup)
        assert created["warmup"] == warmup


class TestWarmupAnalytics:
    async def test_more_than_100_emails_400(self, tenant: Tenant) -> None:
        emails = [f"a{n}@example.com" for n in range(101)]
        assert_bad_request(await tenant.client.post(ANALYTICS, json={"emails": emails}), "100")

    async def test_no_emails_400(self, tenant: Tenant) -> None:
        assert_bad_request(await tenant.client.post(ANALYTICS, json={"emails": []}))
        assert_bad_request(await tenant.client.post(ANALYTICS, json={}), "emails")

    async def test_nothing_measured_yet_is_zeros_without_a_score(self, tenant: Tenant) -> None:
        await create_account(tenant, "new@example.com")
        response = await tenant.client.post(ANALYTICS, json={"emails": ["new@example.com"]})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "email_date_data": {"new@example.com": {}},
            "aggregate_data": {
                "new@example.com": {"sent": 0, "received": 0, "landed_inbox": 0, "landed_spam": 0}
            },
        }

    async def test_another_workspaces_account_is_left_out(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        other = await make_tenant()
        await create_account(other, "theirs@example.com")
        response = await tenant.client.post(ANALYTICS, json={"emails": ["theirs@example.com"]})
        assert response.status_code == 200
        assert response.json() == {"email_date_data": {}, "aggregate_data": {}}

    async def test_needs_a_read_scope(self, make_tenant: MakeTenant) -> None:
        writer = await make_tenant(scopes=["campaigns:all"])
        response = await writer.client.post(ANALYTICS, json={"emails": ["x@example.com"]})
        assert response.status_code == 403


class TestPoolReport:
    async def test_a_small_pool_is_warned_about(self, tenant: Tenant) -> None:
        response = await tenant.client.get(POOL)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["size"], report["domains"], report["providers"], report["pairs"]) == (0, {}, {}, [])
        assert any("fewer than 5" in warning for warning in report["warnings"])
        assert any("fewer than 2" in warning for warning in report["warnings"])
        assert "cannot create reputation across other companies' mailboxes" in report["limits"]

    async def test_needs_a_key_and_its_scope(self, make_tenant: MakeTenant, tenant: Tenant) -> None:
        writer = await make_tenant(scopes=["campaigns:all"])
        assert (await writer.client.get(POOL)).status_code == 403
        reader = await make_tenant(scopes=["accounts:read"])
        assert (await reader.client.get(POOL)).status_code == 200
        tenant.client.headers["Authorization"] = "Bearer nope"
        unauthorized = await tenant.client.get(POOL)
        assert unauthorized.status_code == 401
        assert unauthorized.json()["statusCode"] == 401
