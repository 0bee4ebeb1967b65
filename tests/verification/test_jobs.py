"""Verifying leads as a background job (the verify-on-import hook), run by the app's engine."""

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.models import BackgroundJob, EmailVerification
from coldsend.verification.jobs import enqueue_lead_verification
from tests.conftest import MakeTenant, Tenant, client_for
from tests.waiting import eventually

EXPECTED_STATUS = {
    "alice@deliverable.example": 1,
    "nobody@deliverable.example": -1,
    "someone@catchall.example": -3,
    "info@deliverable.example": -2,
    "x@nowhere.example": -1,
    "Anna@Bücher.example": 1,
}


async def add_lead(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/api/v2/leads", json={"email": email})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def lead_status(client: httpx.AsyncClient, lead_id: str) -> int | None:
    response = await client.get(f"/api/v2/leads/{lead_id}")
    assert response.status_code == 200, response.text
    status: int | None = response.json()["verification_status"]
    return status


class TestVerifyLeadsJob:
    async def test_statuses_follow_the_results(
        self, verifying_app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        client = client_for(verifying_app, tenant.key)
        leads = {email: await add_lead(client, email) for email in EXPECTED_STATUS}
        twin = await add_lead(client, "alice@deliverable.example")
        other = await make_tenant()
        outsider = await add_lead(other.client, "nobody@deliverable.example")
        async with session_scope(verifying_app.state.sessionmaker) as session:
            job = await enqueue_lead_verification(
                session,
                workspace_id=tenant.workspace_id,
                lead_ids=[uuid.UUID(lead_id) for lead_id in [*leads.values(), twin]],
            )
        assert await lead_status(client, twin) == 12

        async def finished() -> bool:
            async with verifying_app.state.sessionmaker() as session:
                found = await session.get(BackgroundJob, job.id, populate_existing=True)
            assert found is not None
            assert found.status != "failed", found.error
            return bool(found.status == "success")

        await eventually(finished, "the verify-leads job")
        statuses = {email: await lead_status(client, lead_id) for email, lead_id in leads.items()}
        assert statuses == EXPECTED_STATUS
        assert await lead_status(client, twin) == 1
        assert await lead_status(other.client, outsider) is None
        # The results join the workspace's cache: the API answers from it.
        async with verifying_app.state.sessionmaker() as session:
            cached = set(
                await session.scalars(
                    select(EmailVerification.email).where(
                        EmailVerification.workspace_id == tenant.workspace_id
                    )
                )
            )
        assert cached == {
            "alice@deliverable.example",
            "nobody@deliverable.example",
            "someone@catchall.example",
            "info@deliverable.example",
            "x@nowhere.example",
            "anna@xn--bcher-kva.example",
        }
        response = await client.post("/api/v2/email-verification", json={"email": "someone@catchall.example"})
        assert response.json()["credits_used"] == 0
        assert response.json()["catch_all"] is True
        await client.aclose()

    async def test_leads_added_with_verify_on_import_are_verified(
        self, verifying_app: FastAPI, tenant: Tenant
    ) -> None:
        client = client_for(verifying_app, tenant.key)
        lead_list = (await client.post("/api/v2/lead-lists", json={"name": "To verify"})).json()
        emails = ["alice@deliverable.example", "nobody@deliverable.example", "someone@catchall.example"]
        response = await client.post(
            "/api/v2/leads/add",
            json={
                "list_id": lead_list["id"],
                "verify_leads_on_import": True,
                "leads": [{"email": email} for email in emails],
            },
        )
        assert response.status_code == 200, response.text
        created = {lead["email"]: lead["id"] for lead in response.json()["created_leads"]}
        assert {await lead_status(client, lead_id) for lead_id in created.values()} == {12}
        single = await client.post(
            "/api/v2/leads",
            json={
                "email": "info@deliverable.example",
                "list_id": lead_list["id"],
                "verify_leads_on_import": True,
            },
        )
        assert single.json()["verification_status"] == 12
        created["info@deliverable.example"] = single.json()["id"]

        async def verified() -> bool:
            return all([await lead_status(client, lead_id) != 12 for lead_id in created.values()])

        await eventually(verified, "the leads' verification")
        statuses = {email: await lead_status(client, lead_id) for email, lead_id in created.items()}
        assert statuses == {email: EXPECTED_STATUS[email] for email in created}
        await client.aclose()
