"""Campaign and list rows for lead tests, inserted directly (their own APIs are tested elsewhere)."""

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import update

from coldsend.db.session import session_scope
from coldsend.models import Campaign, Lead, LeadList
from tests.conftest import Tenant

PATH = "/api/v2/leads"


async def make_campaign(app: FastAPI, workspace_id: uuid.UUID, name: str = "Campaign") -> uuid.UUID:
    async with session_scope(app.state.sessionmaker) as session:
        campaign = Campaign(workspace_id=workspace_id, name=name, campaign_schedule={"schedules": []})
        session.add(campaign)
        await session.flush()
        return campaign.id


async def make_list(app: FastAPI, workspace_id: uuid.UUID, name: str = "List") -> uuid.UUID:
    async with session_scope(app.state.sessionmaker) as session:
        lead_list = LeadList(workspace_id=workspace_id, name=name)
        session.add(lead_list)
        await session.flush()
        return lead_list.id


async def set_fields(app: FastAPI, lead_id: str, **values: Any) -> None:
    """Engine-owned fields (status, counters...) that no API call sets."""
    async with session_scope(app.state.sessionmaker) as session:
        await session.execute(update(Lead).where(Lead.id == uuid.UUID(lead_id)).values(**values))


async def add(tenant: Tenant, leads: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    response = await tenant.client.post(f"{PATH}/add", json={"leads": leads, **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def create(tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await tenant.client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def list_all(
    tenant: Tenant, body: dict[str, Any], limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """Every lead of every page of POST /leads/list, and the number of pages."""
    items: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        page_body = {**body, "limit": limit, **({"starting_after": cursor} if cursor else {})}
        response = await tenant.client.post(f"{PATH}/list", json=page_body)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        items.extend(page["items"])
        cursor = page.get("next_starting_after")
        if cursor is None:
            return items, pages
