"""Integers a lead's JSON payload cannot hold (beyond -2^63 .. 2^64-1): one lead of a bulk add is skipped
with its reason, POST and PATCH answer 400; they used to answer 500 and sink the whole batch."""

from typing import Any

import httpx
import pytest

from tests.conftest import Tenant

TOO_BIG = 2**64
TOO_SMALL = -(2**63) - 1
BIGGEST = 2**64 - 1
SMALLEST = -(2**63)


async def new_list(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v2/lead-lists", json={"name": "Imports"})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def bad_request(message: str) -> dict[str, Any]:
    return {"statusCode": 400, "error": "Bad Request", "message": message}


class TestBulkAdd:
    async def test_a_lead_with_an_unstorable_integer_is_skipped_not_the_batch(self, tenant: Tenant) -> None:
        list_id = await new_list(tenant.client)
        leads: list[dict[str, Any]] = [
            {"email": f"lead{index}@example.com", "custom_variables": {"n": index}} for index in range(1000)
        ]
        leads[10]["custom_variables"] = {"ok": 1, "n": TOO_BIG}
        leads[20]["custom_variables"] = {"n": TOO_SMALL}
        leads[30]["custom_variables"] = {"n": BIGGEST, "m": SMALLEST}
        response = await tenant.client.post("/api/v2/leads/add", json={"list_id": list_id, "leads": leads})
        assert response.status_code == 200, response.text
        summary = response.json()
        assert (summary["total_sent"], summary["leads_uploaded"], summary["skipped_count"]) == (1000, 998, 2)
        assert summary["skipped_leads"] == [
            {"index": 10, "reason": f"body/leads/10/custom_variables/n must be <= {BIGGEST}"},
            {"index": 20, "reason": f"body/leads/20/custom_variables/n must be >= {SMALLEST}"},
        ]
        created = {lead["index"]: lead["id"] for lead in summary["created_leads"]}
        assert {10, 20}.isdisjoint(created)
        stored = await tenant.client.get(f"/api/v2/leads/{created[30]}")
        assert stored.json()["payload"] == {"n": BIGGEST, "m": SMALLEST}

    async def test_a_clean_batch_reports_no_skipped_leads(self, tenant: Tenant) -> None:
        list_id = await new_list(tenant.client)
        leads = [{"email": "ann@example.com", "custom_variables": {"n": 1}}]
        response = await tenant.client.post("/api/v2/leads/add", json={"list_id": list_id, "leads": leads})
        assert response.status_code == 200, response.text
        assert "skipped_leads" not in response.json()


class TestCreateAndPatch:
    @pytest.mark.parametrize(("value", "bound"), [(TOO_BIG, f"<= {BIGGEST}"), (TOO_SMALL, f">= {SMALLEST}")])
    async def test_create_is_a_400(self, tenant: Tenant, value: int, bound: str) -> None:
        list_id = await new_list(tenant.client)
        response = await tenant.client.post(
            "/api/v2/leads",
            json={"email": "ann@example.com", "list_id": list_id, "custom_variables": {"n": value}},
        )
        assert (response.status_code, response.json()) == (
            400,
            bad_request(f"body/custom_variables/n must be {bound}"),
        )

    @pytest.mark.parametrize(("value", "bound"), [(TOO_BIG, f"<= {BIGGEST}"), (TOO_SMALL, f">= {SMALLEST}")])
    async def test_patch_is_a_400_and_keeps_the_lead(self, tenant: Tenant, value: int, bound: str) -> None:
        list_id = await new_list(tenant.client)
        created = await tenant.client.post(
            "/api/v2/leads",
            json={"email": "ann@example.com", "list_id": list_id, "custom_variables": {"n": 1}},
        )
        assert created.status_code == 200, created.text
        lead_id = created.json()["id"]
        response = await tenant.client.patch(
            f"/api/v2/leads/{lead_id}", json={"custom_variables": {"n": value}}
        )
        assert (response.status_code, response.json()) == (
            400,
            bad_request(f"body/custom_variables/n must be {bound}"),
        )
        assert (await tenant.client.get(f"/api/v2/leads/{lead_id}")).json()["payload"] == {"n": 1}
