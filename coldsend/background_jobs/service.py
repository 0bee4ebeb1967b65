import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.background_jobs.schemas import SortColumn, SortOrder
from coldsend.clock import utcnow
from coldsend.errors import BadRequest
from coldsend.models import BackgroundJob, EntityType, JobStatus, JobType

PUBLIC_TYPES = tuple(JobType)


@dataclass(frozen=True, slots=True)
class JobFilters:
    """listBackgroundJob's filters; each given one narrows the list."""

    ids: Collection[str] | None = None
    included_ids: Collection[str] | None = None
    excluded_ids: Collection[str] | None = None
    type: JobType | None = None
    entity_type: EntityType | None = None
    entity_ids: Collection[str] | None = None
    statuses: Collection[JobStatus] | None = None


async def enqueue(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    type: str,
    entity_type: str | None = None,
    entity_id: str | None = None,
    data: Mapping[str, Any] | None = None,
    run_after: datetime | None = None,
    user_id: uuid.UUID | None = None,
) -> BackgroundJob:
    """A pending job, in the caller's transaction: workers see it only once that commits."""
    job = BackgroundJob(
        workspace_id=workspace_id,
        user_id=user_id,
        type=type,
        entity_type=entity_type,
        entity_id=entity_id,
        data=dict(data or {}),
        progress=0,
        status=JobStatus.PENDING,
        run_after=run_after or utcnow(),
    )
    session.add(job)
    await session.flush()
    return job


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, job_id: str) -> BackgroundJob | None:
    """A job the API may show: of this workspace and of a public type."""
    job: BackgroundJob | None = await session.scalar(
        select(BackgroundJob).where(
            BackgroundJob.id == job_id,
            BackgroundJob.workspace_id == workspace_id,
            BackgroundJob.type.in_(PUBLIC_TYPES),
        )
    )
    return job


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: JobFilters,
    sort_column: SortColumn,
    sort_order: SortOrder,
    limit: int,
    after: str | None,
) -> tuple[Sequence[BackgroundJob], bool]:
    """One page ordered by (sort column, id), after the job named by the cursor; and whether more follow.

    created_at never changes, so paging by it returns each job exactly once. A job updated while a
    client pages by updated_at moves in that order, as with any keyset over a mutable column.
    """
    column = BackgroundJob.created_at if sort_column is SortColumn.CREATED_AT else BackgroundJob.updated_at
    stmt = select(BackgroundJob).where(
        BackgroundJob.workspace_id == workspace_id, BackgroundJob.type.in_(PUBLIC_TYPES)
    )
    for wanted in (filters.ids, filters.included_ids):
        if wanted is not None:
            stmt = stmt.where(BackgroundJob.id.in_(wanted))
    if filters.excluded_ids:
        stmt = stmt.where(BackgroundJob.id.not_in(filters.excluded_ids))
    if filters.type is not None:
        stmt = stmt.where(BackgroundJob.type == filters.type)
    if filters.entity_type is not None:
        stmt = stmt.where(BackgroundJob.entity_type == filters.entity_type)
    if filters.entity_ids is not None:
        stmt = stmt.where(BackgroundJob.entity_id.in_(filters.entity_ids))
    if filters.statuses is not None:
        stmt = stmt.where(BackgroundJob.status.in_(filters.statuses))

    descending = sort_order is SortOrder.DESC
    if after is not None:
        anchor = await session.scalar(
            select(column).where(BackgroundJob.id == after, BackgroundJob.workspace_id == workspace_id)
        )
        if anchor is None:
            raise BadRequest(
                "querystring/starting_after must be the id of a background job of this workspace"
            )
        if descending:
            stmt = stmt.where(or_(column < anchor, and_(column == anchor, BackgroundJob.id < after)))
        else:
            stmt = stmt.where(or_(column > anchor, and_(column == anchor, BackgroundJob.id > after)))
    if descending:
        stmt = stmt.order_by(column.desc(), BackgroundJob.id.desc())
    else:
        stmt = stmt.order_by(column.asc(), BackgroundJob.id.asc())
    rows = (await session.scalars(stmt.limit(limit + 1))).all()
    return rows[:limit], len(rows) > limit
