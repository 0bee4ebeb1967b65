import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.background_jobs import service as background_job_service
from coldsend.db.session import session_scope
from coldsend.models import BackgroundJob, Workspace
from coldsend.workspaces import removal
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.pages import collect_pages

JOBS = "/api/v2/background-jobs"
JOB_KEYS = {
    "id",
    "workspace_id",
    "user_id",
    "type",
    "entity_id",
    "entity_type",
    "data",
    "progress",
    "status",
    "created_at",
    "updated_at",
}
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

MakeJobs = Callable[..., Awaitable[list[str]]]


@pytest.fixture
def make_jobs(app: FastAPI) -> MakeJobs:
    """`count` jobs through the enqueue service, then given the status/progress a worker would give them."""

    async def make(
        workspace_id: uuid.UUID,
        count: int = 1,
        *,
        type: str = "import-leads",
        status: str | None = None,
        progress: int = 0,
        **fields: Any,
    ) -> list[str]:
        async with session_scope(app.state.sessionmaker) as session:
            jobs = [
                await background_job_service.enqueue(session, workspace_id=workspace_id, type=type, **fields)
                for _ in range(count)
            ]
            for job in jobs:
                job.status = status or job.status
                job.progress = progress
            await session.flush()
        return [job.id for job in jobs]

    return make


async def listed(tenant: Tenant, **params: Any) -> list[str]:
    response = await tenant.client.get(JOBS, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestListBackgroundJob:
    async def test_shape(self, tenant: Tenant, make_jobs: MakeJobs) -> None:
        list_id = str(uuid.uuid4())
        [job_id] = await make_jobs(
            tenant.workspace_id, entity_type="list", entity_id=list_id, data={"total_to_process": 3}
        )
        body = (await tenant.client.get(JOBS)).json()
        assert set(body) == {"items"}
        [item] = body["items"]
        assert set(item) == JOB_KEYS
        assert item["id"] == job_id
        assert re.fullmatch("[0-9a-f]{24}", job_id)
        assert item["workspace_id"] == str(tenant.workspace_id)
        assert item["user_id"] is None
        assert item["type"] == "import-leads"
        assert item["entity_type"] == "list"
        assert item["entity_id"] == list_id
        assert item["data"] == {"total_to_process": 3}
        assert item["progress"] == 0
        assert item["status"] == "pending"
        assert ISO_MS_Z.match(item["created_at"])
        assert ISO_MS_Z.match(item["updated_at"])

    async def test_pages_each_job_once(self, tenant: Tenant, make_jobs: MakeJobs) -> None:
        created = await make_jobs(tenant.workspace_id, 250)
        items, pages = await collect_pages(tenant.client, JOBS, limit=100)
        ascending = [item["id"] for item in items]
        assert pages == 3
        assert len(ascending) == 250 == len(set(ascending))
        assert set(ascending) == set(created)

        items, pages = await collect_pages(
            tenant.client, JOBS, limit=100, params={"sort_column": "created_at", "sort_order": "desc"}
        )
        descending = [item["id"] for item in items]
        assert pages == 3
        assert descending == ascending[::-1]

    async def test_sorts_by_updated_at(self, app: FastAPI, tenant: Tenant, make_jobs: MakeJobs) -> None:
        first, second, third = await make_jobs(tenant.workspace_id, 3)
        async with session_scope(app.state.sessionmaker) as session:
            job = await session.get(BackgroundJob, first)
            assert job is not None
            job.progress = 40
        assert (await listed(tenant, sort_column="updated_at"))[-1] == first
        assert (await listed(tenant, sort_column="updated_at", sort_order="desc"))[0] == first
        assert set(await listed(tenant, sort_column="updated_at")) == {first, second, third}

    async def test_filters(self, tenant: Tenant, make_jobs: MakeJobs) -> None:
        campaign_id, list_id = str(uuid.uuid4()), str(uuid.uuid4())
        [moving] = await make_jobs(
            tenant.workspace_id, type="move-leads", entity_type="campaign", entity_id=campaign_id
        )
        [importing] = await make_jobs(
            tenant.workspace_id, status="in-progress", progress=40, entity_type="list", entity_id=list_id
        )
        [done] = await make_jobs(tenant.workspace_id, type="export-leads", status="success", progress=100)

        assert await listed(tenant, type="move-leads") == [moving]
        assert await listed(tenant, entity_type="list") == [importing]
        assert await listed(tenant, entity_id=f"{campaign_id},{list_id}") == [moving, importing]
        assert await listed(tenant, status="in-progress,success") == [importing, done]
        assert await listed(tenant, status="failed") == []
        assert await listed(tenant, ids=f"{done},{moving}") == [moving, done]
        assert await listed(tenant, included_ids=importing) == [importing]
        assert await listed(tenant, excluded_ids=f"{moving},{done}") == [importing]
        assert await listed(tenant, ids=f"{moving},{importing}", status="pending") == [moving]

    async def test_only_own_workspace(self, make_tenant: MakeTenant, make_jobs: MakeJobs) -> None:
        mine, other = await make_tenant(), await make_tenant()
        own = await make_jobs(mine.workspace_id, 2)
        theirs = await make_jobs(other.workspace_id, 1)
        assert await listed(mine) == own
        assert await listed(mine, ids=theirs[0]) == []
        response = await mine.client.get(JOBS, params={"starting_after": theirs[0]})
        assert response.status_code == 400

    async def test_internal_jobs_are_not_shown(
        self, app: FastAPI, tenant: Tenant, make_jobs: MakeJobs
    ) -> None:
        [public] = await make_jobs(tenant.workspace_id)
        async with session_scope(app.state.sessionmaker) as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
            assert workspace is not None
            await removal.schedule(session, workspace, delay_seconds=3600)
            internal = await session.scalar(
                select(BackgroundJob.id).where(
                    BackgroundJob.workspace_id == tenant.workspace_id, BackgroundJob.type == removal.JOB_TYPE
                )
            )
        assert internal is not None
        assert await listed(tenant) == [public]
        assert await listed(tenant, entity_type="workspace") == []
        assert await listed(tenant, ids=internal) == []
        assert (await tenant.client.get(f"{JOBS}/{internal}")).status_code == 404

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"starting_after": "nope"}, 'querystring/starting_after must match pattern "^[0-9a-f]{24}$"'),
            (
                {"starting_after": "0" * 24},
                "querystring/starting_after must be the id of a background job of this workspace",
            ),
            ({"ids": "675266e304a8e55b17f0228b,xyz"}, 'querystring/ids must match pattern "^[0-9a-f]{24}$"'),
            ({"included_ids": "ABC"}, 'querystring/included_ids must match pattern "^[0-9a-f]{24}$"'),
            ({"excluded_ids": "1"}, 'querystring/excluded_ids must match pattern "^[0-9a-f]{24}$"'),
            ({"status": "pending,done"}, "querystring/status must be equal to one of the allowed values"),
            (
                {"type": "remove-workspace"},
                "querystring/type must be equal to one of the allowed values (allowed: 'move-leads', "
                "'import-leads', 'export-leads', 'update-warmup-accounts', 'rename-variable', "
                "'broadcast-ai-generate', 'broadcast-website-scrape', 'import-subscribers-from-crm', "
                "'resync-subscriber-crm-tags')",
            ),
            (
                {"entity_type": "lead"},
                "querystring/entity_type must be equal to one of the allowed values (allowed: 'list', "
                "'campaign', 'workspace', 'broadcast', 'subscriber-group-sync', 'subscriber-group')",
            ),
            (
                {"sort_column": "id"},
                "querystring/sort_column must be equal to one of the allowed values (allowed: 'created_at', "
                "'updated_at')",
            ),
            (
                {"sort_order": "up"},
                "querystring/sort_order must be equal to one of the allowed values (allowed: 'asc', 'desc')",
            ),
            ({"limit": 0}, "querystring/limit must be >= 1"),
            ({"limit": 101}, "querystring/limit must be <= 100"),
        ],
    )
    async def test_bad_params_are_400(self, tenant: Tenant, params: dict[str, Any], message: str) -> None:
        response = await tenant.client.get(JOBS, params=params)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_needs_a_key_with_the_scope(
        self, app: FastAPI, tenant: Tenant, make_key: MakeKey, make_jobs: MakeJobs
    ) -> None:
        [job_id] = await make_jobs(tenant.workspace_id)
        async with client_for(app) as anonymous:
            assert (await anonymous.get(JOBS)).status_code == 401
        async with client_for(app, await make_key(tenant.workspace_id, ["leads:read"])) as client:
            assert (await client.get(JOBS)).status_code == 403
            assert (await client.get(f"{JOBS}/{job_id}")).status_code == 403
        async with client_for(app, await make_key(tenant.workspace_id, ["background-jobs:read"])) as client:
            assert (await client.get(JOBS)).status_code == 200
            assert (await client.get(f"{JOBS}/{job_id}")).status_code == 200


class TestGetBackgroundJob:
    async def test_returns_the_job(self, tenant: Tenant, make_jobs: MakeJobs) -> None:
        [job_id] = await make_jobs(tenant.workspace_id, status="in-progress", progress=55, data={"a": 1})
        response = await tenant.client.get(f"{JOBS}/{job_id}")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == JOB_KEYS - {"entity_type"}  # no entity: the key is left out, never null
        assert body["id"] == job_id
        assert body["status"] == "in-progress"
        assert body["progress"] == 55
        assert body["data"] == {"a": 1}
        assert body["entity_id"] is None

    async def test_data_fields_select_keys(self, tenant: Tenant, make_jobs: MakeJobs) -> None:
        data = {"success_count": 7, "failed_count": 1, "total_to_process": 8}
        [job_id] = await make_jobs(tenant.workspace_id, data=data)
        selected = await tenant.client.get(
            f"{JOBS}/{job_id}", params={"data_fields": "success_count, failed_count,unknown"}
        )
        assert selected.json()["data"] == {"success_count": 7, "failed_count": 1}
        assert (await tenant.client.get(f"{JOBS}/{job_id}")).json()["data"] == data

    async def test_another_workspaces_job_is_404(self, make_tenant: MakeTenant, make_jobs: MakeJobs) -> None:
        mine, other = await make_tenant(), await make_tenant()
        [theirs] = await make_jobs(other.workspace_id)
        response = await mine.client.get(f"{JOBS}/{theirs}")
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
        assert (await other.client.get(f"{JOBS}/{theirs}")).status_code == 200

    async def test_unknown_id_is_404(self, tenant: Tenant) -> None:
        assert (await tenant.client.get(f"{JOBS}/{'f' * 24}")).status_code == 404

    @pytest.mark.parametrize("bad", ["123", "675266e304a8e55b17f0228g", "675266E304A8E55B17F0228B"])
    async def test_malformed_id_is_400(self, tenant: Tenant, bad: str) -> None:
        response = await tenant.client.get(f"{JOBS}/{bad}")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/id must match pattern "^[0-9a-f]{24}$"'
