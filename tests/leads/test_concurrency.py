"""Lead writes racing each other: a client retrying a batch it thinks timed out, or parallel imports.

Each request checks for duplicates and then inserts; two of them at once must not both find "no
duplicate" and both insert, or the address would be emailed twice from one campaign.
"""

import asyncio
from collections import Counter
from typing import Any

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.leads.helpers import PATH, list_all, make_campaign

COPIES = 6


def _leads(count: int) -> list[dict[str, Any]]:
    return [{"email": f"racer{i}@example.com", "first_name": f"R{i}"} for i in range(count)]


async def _add_concurrently(tenant: Tenant, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    responses = await asyncio.gather(*(tenant.client.post(f"{PATH}/add", json=body) for body in bodies))
    for response in responses:
        assert response.status_code == 200, response.text
    return [response.json() for response in responses]


async def test_the_same_batch_sent_at_once_is_uploaded_once(app: FastAPI, tenant: Tenant) -> None:
    campaign = str(await make_campaign(app, tenant.workspace_id))
    leads = _leads(300)
    results = await _add_concurrently(tenant, [{"campaign_id": campaign, "leads": leads}] * COPIES)

    assert sum(result["leads_uploaded"] for result in results) == len(leads)
    assert sum(result["duplicated_leads"] for result in results) == (COPIES - 1) * len(leads)
    stored, _pages = await list_all(tenant, {"campaign": campaign})
    assert Counter(lead["email"] for lead in stored) == Counter(lead["email"] for lead in leads)


async def test_skip_if_in_workspace_holds_across_parallel_campaign_imports(
    app: FastAPI, tenant: Tenant
) -> None:
    campaigns = [str(await make_campaign(app, tenant.workspace_id, f"C{i}")) for i in range(COPIES)]
    leads = _leads(200)
    bodies = [
        {"campaign_id": campaign, "leads": leads, "skip_if_in_workspace": True} for campaign in campaigns
    ]
    results = await _add_concurrently(tenant, bodies)

    assert sum(result["leads_uploaded"] for result in results) == len(leads)
    assert sum(result["skipped_count"] for result in results) == (COPIES - 1) * len(leads)
    stored, _pages = await list_all(tenant, {})
    assert Counter(lead["email"] for lead in stored) == Counter(lead["email"] for lead in leads)


async def test_the_same_lead_created_at_once_is_one_lead(app: FastAPI, tenant: Tenant) -> None:
    campaign = str(await make_campaign(app, tenant.workspace_id))
    body = {"campaign": campaign, "email": "once@example.com", "first_name": "Once"}
    responses = await asyncio.gather(*(tenant.client.post(PATH, json=body) for _ in range(COPIES)))
    for response in responses:
        assert response.status_code == 200, response.text

    assert len({response.json()["id"] for response in responses}) == 1
    stored, _pages = await list_all(tenant, {"campaign": campaign})
    assert [lead["email"] for lead in stored] == ["once@example.com"]
