"""Lead moves, interest-status updates, bulk assignment and subsequence moves, over HTTP on both backends.

Jobs are run by a real JobRunner with the registered handlers; campaigns, lists, subsequences and leads
are inserted as rows (fast, and independent of those resources' routes).
"""

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.db.session import session_scope
from coldsend.engine.job_runner import JobRunner
from coldsend.jobs import HANDLERS, JobContext
from coldsend.leads import jobs
from coldsend.models import (
    AuditLog,
    BackgroundJob,
    Campaign,
    CampaignSubsequence,
    Lead,
    LeadList,
    User,
    WorkspaceMember,
)
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for, make_settings

JOB_TYPES = (jobs.MOVE_LEADS, jobs.UPDATE_INTEREST_STATUS, jobs.ASSIGN_LEADS)
OTHER = "019ffad2-5c92-7661-8a8c-f217e75a6de9"


class Killed(Exception):
    """Stands in for a worker dying at a chosen point of a job."""


@pytest.fixture
def maker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return sessionmaker


@pytest.fixture
def run_job(maker: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path) -> Callable[..., Any]:
    async def run(
        job_id: str, *, batch_size: int = 100, handlers: dict[str, Any] | None = None, runs: int = 50
    ) -> BackgroundJob:
        settings = make_settings(database_url, tmp_path, job_batch_size=batch_size, job_retry_delay_seconds=0)
        chosen = handlers or {job_type: HANDLERS[job_type] for job_type in JOB_TYPES}
        runner = JobRunner(settings, maker, chosen, worker_id=f"test-{uuid.uuid4().hex[:8]}")
        for _ in range(runs):
            job = await load_job(maker, job_id)
            if job.status not in ("pending", "in-progress"):
                return job
            if not await runner.run_once():
                break
        return await load_job(maker, job_id)

    return run


async def load_job(maker: async_sessionmaker[AsyncSession], job_id: str) -> BackgroundJob:
    async with maker() as session:
        job = await session.get(BackgroundJob, job_id)
    assert job is not None
    return job


async def make_campaign(maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID) -> uuid.UUID:
    async with session_scope(maker) as session:
        campaign = Campaign(workspace_id=workspace_id, name="C", campaign_schedule={"schedules": []})
        session.add(campaign)
        await session.flush()
    return campaign.id


async def make_list(maker: async_sessionmaker[AsyncSession], workspace_id: uuid.UUID) -> uuid.UUID:
    async with session_scope(maker) as session:
        lead_list = LeadList(workspace_id=workspace_id, name="L")
        session.add(lead_list)
        await session.flush()
    return lead_list.id


async def add_leads(
    maker: async_sessionmaker[AsyncSession],
    workspace_id: uuid.UUID,
    count: int,
    *,
    campaign_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
    prefix: str = "lead",
    **fields: Any,
) -> list[uuid.UUID]:
    rows = [
        {
            "workspace_id": workspace_id,
            "campaign_id": campaign_id,
            "list_id": list_id,
            "email": f"{prefix}{n}@example.com",
            "first_name": f"First{n}",
            **fields,
        }
        for n in range(count)
    ]
    async with session_scope(maker) as session:
        ids = await session.scalars(insert(Lead).returning(Lead.id), rows)
        return sorted(ids.all())


async def emails_in(
    maker: async_sessionmaker[AsyncSession],
    *,
    campaign_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
) -> list[str]:
    column = Lead.campaign_id if campaign_id is not None else Lead.list_id
    async with maker() as session:
        found = await session.scalars(select(Lead.email).where(column == (campaign_id or list_id)))
        return sorted(email for email in found.all() if email)


async def interest(maker: async_sessionmaker[AsyncSession], lead_id: uuid.UUID) -> int | None:
    async with maker() as session:
        value: int | None = await session.scalar(select(Lead.lt_interest_status).where(Lead.id == lead_id))
    return value


class TestMoveLeads:
    async def test_move_between_campaigns(
        self, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        source = await make_campaign(maker, tenant.workspace_id)
        target = await make_campaign(maker, tenant.workspace_id)
        await add_leads(maker, tenant.workspace_id, 1050, campaign_id=source, last_step_from="x")
        expected = await emails_in(maker, campaign_id=source)

        response = await tenant.client.post(
            "/api/v2/leads/move", json={"campaign": str(source), "to_campaign_id": str(target)}
        )
        assert response.status_code == 200, response.text
        shown = response.json()
        assert (shown["type"], shown["status"], shown["progress"]) == ("move-leads", "pending", 0)
        assert (shown["entity_type"], shown["entity_id"]) == ("campaign", str(target))
        listed = await tenant.client.get("/api/v2/background-jobs", params={"type": "move-leads"})
        assert shown["id"] in [job["id"] for job in listed.json()["items"]]

        done = await run_job(shown["id"])
        assert (done.status, done.progress, done.attempts) == ("success", 100, 1)
        polled = (await tenant.client.get(f"/api/v2/background-jobs/{shown['id']}")).json()
        assert polled["status"] == "success"
        assert polled["data"]["moved_leads"] == 1050
        assert sorted(polled["data"]["moved_lead_emails"]) == expected
        assert await emails_in(maker, campaign_id=source) == []
        assert await emails_in(maker, campaign_id=target) == expected
        async with maker() as session:
            steps = await session.scalars(select(Lead.last_step_from).where(Lead.campaign_id == target))
            assert set(steps.all()) == {None}
            audit = await session.scalar(
                select(AuditLog).where(
                    AuditLog.workspace_id == tenant.workspace_id, AuditLog.activity_type == 8
                )
            )
        assert audit is not None
        assert (audit.affected_count, audit.campaign_id) == (1050, target)
        assert audit.audit_metadata["background_job_id"] == shown["id"]

    async def test_copy_to_list_skips_duplicates(
        self, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        source = await make_campaign(maker, tenant.workspace_id)
        target = await make_list(maker, tenant.workspace_id)
        await add_leads(maker, tenant.workspace_id, 30, campaign_id=source)
        await add_leads(maker, tenant.workspace_id, 10, list_id=target)  # lead0..lead9 already there
        response = await tenant.client.post(
            "/api/v2/leads/move",
            json={
                "campaign": str(source),
                "to_list_id": str(target),
                "copy_leads": True,
                "check_duplicates": True,
            },
        )
        assert response.status_code == 200, response.text
        done = await run_job(response.json()["id"], batch_size=7)
        assert done.status == "success", done.error
        assert (done.data["moved_leads"], done.data["skipped_leads"]) == (20, 10)
        assert len(await emails_in(maker, campaign_id=source)) == 30
        in_list = await emails_in(maker, list_id=target)
        assert len(in_list) == len(set(in_list)) == 30

    async def test_filters_limit_and_exclusions(
        self, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        source = await make_list(maker, tenant.workspace_id)
        target = await make_campaign(maker, tenant.workspace_id)
        ids = await add_leads(maker, tenant.workspace_id, 20, list_id=source)
        await add_leads(maker, tenant.workspace_id, 5, list_id=source, prefix="other", status=-1)
        response = await tenant.client.post(
            "/api/v2/leads/move",
            json={
                "list_id": str(source),
                "ids": [str(one) for one in ids[:10]] + [OTHER],
                "excluded_ids": [str(ids[0])],
                "limit": 4,
                "to_campaign_id": str(target),
            },
        )
        assert response.status_code == 200, response.text
        done = await run_job(response.json()["id"], batch_size=3)
        assert done.data["moved_leads"] == 4
        async with maker() as session:
            moved = await session.scalars(select(Lead.id).where(Lead.campaign_id == target).order_by(Lead.id))
            assert moved.all() == ids[1:5]

        response = await tenant.client.post(
            "/api/v2/leads/move",
            json={"list_id": str(source), "filter": "FILTER_VAL_BOUNCED", "to_campaign_id": str(target)},
        )
        done = await run_job(response.json()["id"])
        assert done.data["moved_leads"] == 5
        assert sum(email.startswith("other") for email in await emails_in(maker, campaign_id=target)) == 5

    async def test_smart_view_queries_select(
        self, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        source = await make_list(maker, tenant.workspace_id)
        target = await make_list(maker, tenant.workspace_id)
        await add_leads(maker, tenant.workspace_id, 3, list_id=source, prefix="quiet")
        await add_leads(maker, tenant.workspace_id, 2, list_id=source, prefix="opener", email_open_count=3)
        await add_leads(maker, tenant.workspace_id, 2, list_id=source, prefix="once", email_open_count=1)
        more_than_once = {
            "actionType": "email-open",
            "values": {"occurrence-count": {"condition": "more", "count": 1}},
        }
        response = await tenant.client.post(
            "/api/v2/leads/move",
            json={"list_id": str(source), "queries": [more_than_once], "to_list_id": str(target)},
        )
        assert response.status_code == 200, response.text
        done = await run_job(response.json()["id"])
        assert (done.status, done.data["moved_leads"]) == ("success", 2)
        assert await emails_in(maker, list_id=target) == ["opener0@example.com", "opener1@example.com"]

    @pytest.mark.parametrize("dies", ["before commit", "after commit"])
    async def test_resumes_after_a_crash_without_loss_or_duplicates(
        self, dies: str, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        source = await make_campaign(maker, tenant.workspace_id)
        target = await make_campaign(maker, tenant.workspace_id)
        await add_leads(maker, tenant.workspace_id, 95, campaign_id=source)
        expected = await emails_in(maker, campaign_id=source)
        response = await tenant.client.post(
            "/api/v2/leads/move",
            json={"campaign": str(source), "to_campaign_id": str(target), "copy_leads": True},
        )
        job_id = response.json()["id"]

        async def dying(ctx: JobContext) -> None:
            progress = ctx.progress
            batches = 0

            async def checkpoint(*args: Any, **kwargs: Any) -> None:
                nonlocal batches
                if kwargs.get("session") is not None:
                    batches += 1
                    if batches == 3 and dies == "before commit":
                        raise Killed()
                await progress(*args, **kwargs)
                if batches == 3:
                    raise Killed()

            ctx.progress = checkpoint  # type: ignore[method-assign]
            await jobs.move_leads(ctx)

        crashed = await run_job(job_id, batch_size=10, handlers={jobs.MOVE_LEADS: dying}, runs=1)
        assert crashed.status == "pending"
        done_before = 20 if dies == "before commit" else 30
        assert crashed.data["moved_leads"] == done_before
        assert len(await emails_in(maker, campaign_id=target)) == done_before

        done = await run_job(job_id, batch_size=10)
        assert (done.status, done.attempts) == ("success", 2)
        assert done.data["moved_leads"] == 95
        assert await emails_in(maker, campaign_id=target) == expected
        assert await emails_in(maker, campaign_id=source) == expected

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must have exactly one of the properties 'to_campaign_id' and 'to_list_id'"),
            (
                {"to_campaign_id": OTHER, "to_list_id": OTHER},
                "body must have exactly one of the properties 'to_campaign_id' and 'to_list_id'",
            ),
            ({"to_list_id": OTHER, "ids": [OTHER]}, None),
            ({"to_list_id": "nope"}, 'body/to_list_id must match format "uuid"'),
            ({"to_list_id": OTHER, "filter": "FILTER_NOPE"}, None),
            ({"to_list_id": OTHER, "limit": -1}, "body/limit must be >= 0"),
            ({"to_list_id": OTHER, "queries": [{"actionType": "bounce", "values": {}}]}, None),
            ({"to_list_id": OTHER, "queries": [{"actionType": "reply"}]}, None),
            ({"to_list_id": OTHER, "esg_code": "7"}, None),
            ({"to_list_id": OTHER, "copy_leads": "yes"}, "body/copy_leads must be boolean"),
            ({"to_list_id": OTHER, "nonsense": 1}, "body must NOT have additional properties"),
        ],
    )
    async def test_bad_bodies_are_400(
        self, tenant: Tenant, body: dict[str, Any], message: str | None
    ) -> None:
        response = await tenant.client.post("/api/v2/leads/move", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "Bad Request"
        if message:
            assert response.json()["message"] == message

    async def test_other_workspaces_resources_are_404(
        self, tenant: Tenant, make_tenant: MakeTenant, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        other = await make_tenant()
        theirs = await make_campaign(maker, other.workspace_id)
        their_list = await make_list(maker, other.workspace_id)
        mine = await make_campaign(maker, tenant.workspace_id)
        await add_leads(maker, other.workspace_id, 3, campaign_id=theirs)
        for body in (
            {"to_campaign_id": str(theirs)},
            {"to_list_id": str(their_list)},
            {"campaign": str(theirs), "to_campaign_id": str(mine)},
            {"list_id": str(their_list), "to_campaign_id": str(mine)},
        ):
            response = await tenant.client.post("/api/v2/leads/move", json=body)
            assert response.status_code == 404, (body, response.text)
            assert response.json()["statusCode"] == 404
        async with maker() as session:
            count = await session.scalar(
                select(func.count()).where(BackgroundJob.workspace_id == tenant.workspace_id)
            )
        assert count == 0


class TestUpdateInterestStatus:
    async def test_queued_then_applied(
        self, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        first = await make_campaign(maker, tenant.workspace_id)
        second = await make_campaign(maker, tenant.workspace_id)
        [in_first] = await add_leads(maker, tenant.workspace_id, 1, campaign_id=first)
        [in_second] = await add_leads(maker, tenant.workspace_id, 1, campaign_id=second)
        response = await tenant.client.post(
            "/api/v2/leads/update-interest-status",
            json={"lead_email": " Lead0@Example.com", "interest_value": 2, "campaign_id": str(first)},
        )
        assert response.status_code == 202, response.text
        assert response.json() == {"message": "Lead interest status update background job submitted"}
        async with maker() as session:
            job_id = await session.scalar(
                select(BackgroundJob.id).where(
                    BackgroundJob.workspace_id == tenant.workspace_id,
                    BackgroundJob.type == jobs.UPDATE_INTEREST_STATUS,
                )
            )
        assert job_id is not None
        assert (await run_job(job_id)).status == "success"
        assert await interest(maker, in_first) == 2
        assert await interest(maker, in_second) is None

        response = await tenant.client.post(
            "/api/v2/leads/update-interest-status",
            json={"lead_email": "lead0@example.com", "interest_value": None},
        )
        assert response.status_code == 202
        async with maker() as session:
            job_ids = await session.scalars(
                select(BackgroundJob.id).where(
                    BackgroundJob.workspace_id == tenant.workspace_id, BackgroundJob.status == "pending"
                )
            )
            [job_id] = job_ids.all()
        await run_job(job_id)
        for lead_id in (in_first, in_second):
            assert await interest(maker, lead_id) is None
        async with maker() as session:
            changed = await session.scalar(
                select(Lead.timestamp_last_interest_change).where(Lead.id == in_second)
            )
        assert changed is not None

    async def test_errors(
        self, tenant: Tenant, make_tenant: MakeTenant, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        other = await make_tenant()
        theirs = await make_campaign(maker, other.workspace_id)
        await add_leads(maker, other.workspace_id, 1, campaign_id=theirs)
        url = "/api/v2/leads/update-interest-status"
        response = await tenant.client.post(url, json={"lead_email": "not an email", "interest_value": 1})
        assert response.status_code == 400
        assert response.json()["error"] == "Invalid lead email"
        response = await tenant.client.post(url, json={"lead_email": "lead0@example.com"})
        assert response.json()["message"] == "body must have required property 'interest_value'"
        response = await tenant.client.post(
            url, json={"lead_email": "lead0@example.com", "interest_value": 1.5}
        )
        assert response.status_code == 400
        for body in (
            {"lead_email": "lead0@example.com", "interest_value": 1},
            {"lead_email": "lead0@example.com", "interest_value": 1, "campaign_id": str(theirs)},
        ):
            response = await tenant.client.post(url, json=body)
            assert response.status_code == 404, response.text


class TestBulkAssign:
    async def test_leads_shared_out_in_turn(
        self, tenant: Tenant, maker: async_sessionmaker[AsyncSession], run_job: Callable[..., Any]
    ) -> None:
        async with session_scope(maker) as session:
            owner = await session.scalar(
                select(WorkspaceMember.user_id).where(WorkspaceMember.workspace_id == tenant.workspace_id)
            )
            helper = User(email=f"helper-{uuid.uuid4().hex[:6]}@example.com")
            session.add(helper)
            await session.flush()
            session.add(
                WorkspaceMember(
                    workspace_id=tenant.workspace_id,
                    user_id=helper.id,
                    email=helper.email,
                    role="editor",
                    accepted=True,
                )
            )
        assert owner is not None
        source = await make_list(maker, tenant.workspace_id)
        ids = await add_leads(maker, tenant.workspace_id, 25, list_id=source)
        response = await tenant.client.post(
            "/api/v2/leads/bulk-assign",
            json={"list_id": str(source), "organization_user_ids": [str(owner), str(helper.id)]},
        )
        assert response.status_code == 202, response.text
        assert response.json() == {
            "status": "accepted",
            "message": "Your request will be processed in a background job",
        }
        async with maker() as session:
            job_id = await session.scalar(
                select(BackgroundJob.id).where(
                    BackgroundJob.workspace_id == tenant.workspace_id, BackgroundJob.type == jobs.ASSIGN_LEADS
                )
            )
        assert (await run_job(job_id, batch_size=4)).status == "success"
        async with maker() as session:
            rows = (
                await session.execute(select(Lead.id, Lead.assigned_to).where(Lead.list_id == source))
            ).all()
        assigned = {row.id: row.assigned_to for row in rows}
        assert [assigned[one] for one in ids] == [owner, helper.id] * 12 + [owner]

    async def test_errors(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        url = "/api/v2/leads/bulk-assign"
        response = await tenant.client.post(url, json={"organization_user_ids": []})
        assert response.status_code == 400
        response = await tenant.client.post(url, json={"organization_user_ids": [OTHER]})
        assert response.status_code == 404
        response = await tenant.client.post(url, json={"organization_user_ids": [OTHER], "list_id": OTHER})
        assert response.status_code == 404
        assert other.workspace_id != tenant.workspace_id


class TestSubsequences:
    async def test_move_and_remove(
        self, tenant: Tenant, make_tenant: MakeTenant, maker: async_sessionmaker[AsyncSession]
    ) -> None:
        campaign = await make_campaign(maker, tenant.workspace_id)
        elsewhere = await make_campaign(maker, tenant.workspace_id)
        async with session_scope(maker) as session:
            subsequence = CampaignSubsequence(
                workspace_id=tenant.workspace_id, parent_campaign_id=campaign, name="S", conditions={}
            )
            session.add(subsequence)
            await session.flush()
        [lead_id] = await add_leads(maker, tenant.workspace_id, 1, campaign_id=campaign)
        [stray] = await add_leads(maker, tenant.workspace_id, 1, campaign_id=elsewhere, prefix="stray")

        response = await tenant.client.post(
            "/api/v2/leads/subsequence/move", json={"id": str(lead_id), "subsequence_id": str(subsequence.id)}
        )
        assert response.status_code == 200, response.text
        lead = response.json()
        assert (lead["id"], lead["subsequence_id"]) == (str(lead_id), str(subsequence.id))
        assert lead["timestamp_added_subsequence"] is not None

        response = await tenant.client.post(
            "/api/v2/leads/subsequence/move", json={"id": str(stray), "subsequence_id": str(subsequence.id)}
        )
        assert response.status_code == 400

        other = await make_tenant()
        for client in (other.client,):
            response = await client.post(
                "/api/v2/leads/subsequence/move",
                json={"id": str(lead_id), "subsequence_id": str(subsequence.id)},
            )
            assert response.status_code == 404
            response = await client.post("/api/v2/leads/subsequence/remove", json={"id": str(lead_id)})
            assert response.status_code == 404

        response = await tenant.client.post("/api/v2/leads/subsequence/remove", json={"id": str(lead_id)})
        assert response.status_code == 200
        assert response.json()["subsequence_id"] is None
        response = await tenant.client.post("/api/v2/leads/subsequence/remove", json={"id": str(lead_id)})
        assert response.status_code == 200
        async with maker() as session:
            moves = await session.scalar(
                select(func.count()).where(
                    AuditLog.workspace_id == tenant.workspace_id, AuditLog.activity_type == 8
                )
            )
        assert moves == 2


class TestScopes:
    @pytest.mark.parametrize(
        "path",
        ["move", "update-interest-status", "bulk-assign", "subsequence/move", "subsequence/remove"],
    )
    async def test_read_only_key_is_403(
        self, app: FastAPI, tenant: Tenant, make_key: MakeKey, path: str
    ) -> None:
        key = await make_key(tenant.workspace_id, ["leads:read", "leads:create"])
        async with client_for(app, key) as client:
            response = await client.post(f"/api/v2/leads/{path}", json={})
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"
