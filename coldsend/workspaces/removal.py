"""Workspace removal: scheduled through the API, carried out in batches by the `remove-workspace` job."""

import logging
import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.background_jobs import service as background_job_service
from coldsend.clock import utcnow
from coldsend.db.base import Base
from coldsend.errors import Conflict
from coldsend.jobs import JobContext, register
from coldsend.models import (
    Account,
    AnalyticsAccountDay,
    AnalyticsDay,
    AnalyticsLeadTally,
    AnalyticsSpan,
    AnalyticsStepDay,
    ApiKey,
    AuditLog,
    BackgroundJob,
    BlockListEntry,
    Campaign,
    CampaignSubsequence,
    CustomTag,
    CustomTagMapping,
    DashboardSession,
    Email,
    EmailVerification,
    EntityType,
    Event,
    JobStatus,
    Lead,
    LeadLabel,
    LeadList,
    OAuthSession,
    PlacementAutomationRun,
    PlacementCopy,
    PlacementReport,
    PlacementRun,
    PlacementSeed,
    PlacementTest,
    ReplyLabelPrediction,
    Send,
    SignInLink,
    WarmupMessage,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
    WebhookFact,
    Workspace,
    WorkspaceGroupMember,
    WorkspaceMember,
)

log = logging.getLogger(__name__)

JOB_TYPE = "remove-workspace"

# Every workspace-owned table as (model, column holding the workspace id), purged in this order before
# the workspace row itself: a table whose rows reference another's comes before it. A new
# workspace-owned table adds itself here (tests/engine/test_jobs.py checks none is missing).
PURGED: tuple[tuple[type[Base], str], ...] = (
    (DashboardSession, "workspace_id"),  # dashboard sign-ins working in it, or signed in through it
    (DashboardSession, "member_workspace_id"),
    (SignInLink, "workspace_id"),
    (WebhookEvent, "workspace_id"),
    (WebhookDelivery, "workspace_id"),
    (WebhookFact, "workspace_id"),
    (Webhook, "workspace_id"),
    (AuditLog, "workspace_id"),
    (Event, "workspace_id"),
    (Email, "workspace_id"),
    (EmailVerification, "workspace_id"),
    (Send, "workspace_id"),
    (WarmupMessage, "workspace_id"),
    (PlacementAutomationRun, "workspace_id"),
    (PlacementReport, "workspace_id"),
    (PlacementCopy, "workspace_id"),
    (PlacementRun, "workspace_id"),
    (PlacementTest, "workspace_id"),
    (PlacementSeed, "workspace_id"),
    (OAuthSession, "key_workspace_id"),  # sessions its key started in its sub workspaces
    (OAuthSession, "workspace_id"),
    (Account, "workspace_id"),
    (Lead, "workspace_id"),
    # After the events and leads: their triggers bring these to zero as those go.
    (AnalyticsDay, "workspace_id"),
    (AnalyticsSpan, "workspace_id"),
    (AnalyticsStepDay, "workspace_id"),
    (AnalyticsAccountDay, "workspace_id"),
    (AnalyticsLeadTally, "workspace_id"),
    (CampaignSubsequence, "workspace_id"),
    (Campaign, "workspace_id"),
    (LeadList, "workspace_id"),
    (BlockListEntry, "workspace_id"),
    (CustomTagMapping, "workspace_id"),
    (CustomTag, "workspace_id"),
    (LeadLabel, "workspace_id"),
    (ReplyLabelPrediction, "workspace_id"),
    (ApiKey, "admin_workspace_id"),  # keys it made inside its sub workspaces die with their links
    (ApiKey, "workspace_id"),
    (WorkspaceMember, "workspace_id"),
    (WorkspaceGroupMember, "admin_workspace_id"),
    (WorkspaceGroupMember, "sub_workspace_id"),
    (BackgroundJob, "workspace_id"),
)

_LIVE = (JobStatus.PENDING, JobStatus.IN_PROGRESS)


async def _removal_job(
    session: AsyncSession, workspace_id: uuid.UUID, *statuses: str
) -> BackgroundJob | None:
    job: BackgroundJob | None = await session.scalar(
        select(BackgroundJob)
        .where(
            BackgroundJob.workspace_id == workspace_id,
            BackgroundJob.type == JOB_TYPE,
            BackgroundJob.status.in_(statuses),
        )
        .limit(1)
    )
    return job


async def schedule(session: AsyncSession, workspace: Workspace, *, delay_seconds: float) -> Workspace:
    """Mark the workspace for removal in `delay_seconds` and queue the job; a no-op if already scheduled."""
    job = await _removal_job(session, workspace.id, *_LIVE)
    if job is not None:
        if workspace.scheduled_for_removal_at is None:
            workspace.scheduled_for_removal_at = job.run_after
            await session.flush()
        return workspace
    workspace.scheduled_for_removal_at = utcnow() + timedelta(seconds=delay_seconds)
    await background_job_service.enqueue(
        session,
        workspace_id=workspace.id,
        type=JOB_TYPE,
        entity_type=EntityType.WORKSPACE,
        entity_id=str(workspace.id),
        run_after=workspace.scheduled_for_removal_at,
    )
    await session.flush()
    return workspace


async def cancel(session: AsyncSession, workspace: Workspace) -> Workspace:
    """Call off a scheduled removal. Once its job has started, rows are already gone: 409."""
    # Updating the pending job row first orders this against a worker's claim of the same row.
    await session.execute(
        update(BackgroundJob)
        .where(
            BackgroundJob.workspace_id == workspace.id,
            BackgroundJob.type == JOB_TYPE,
            BackgroundJob.status == JobStatus.PENDING,
        )
        .values(status=JobStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if await _removal_job(session, workspace.id, JobStatus.IN_PROGRESS) is not None:
        raise Conflict("The workspace is already being removed; its removal can no longer be cancelled")
    workspace.scheduled_for_removal_at = None
    await session.flush()
    return workspace


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _rows(model: type[Base], column: str, workspace_id: uuid.UUID, running_job_id: str) -> Any:
    table = _table(model)
    if "id" not in table.c:  # the analytics rollups, keyed by what they count
        return select(*table.primary_key.columns).where(table.c[column] == workspace_id)
    rows = select(table.c.id).where(table.c[column] == workspace_id)
    if model is BackgroundJob:
        rows = rows.where(table.c.id != running_job_id)
    return rows


async def _delete(session: AsyncSession, model: type[Base], rows: Any) -> int:
    table = _table(model)
    key = tuple_(*table.primary_key.columns) if "id" not in table.c else table.c.id
    result = cast(CursorResult[Any], await session.execute(delete(table).where(key.in_(rows))))
    return result.rowcount


async def _count(session: AsyncSession, workspace_id: uuid.UUID, running_job_id: str) -> int:
    total = 0
    for model, column in PURGED:
        rows = _rows(model, column, workspace_id, running_job_id).subquery()
        total += await session.scalar(select(func.count()).select_from(rows)) or 0
    return total


def _percent(deleted: int, total: int) -> int:
    """1..99 while rows remain: 100 is the runner's to set, once the job has ended."""
    return max(1, min(99, deleted * 100 // total)) if total else 99


@register(JOB_TYPE)
async def remove_workspace(ctx: JobContext) -> None:
    """Purge every row of the workspace in batches, checkpointing after each, then the workspace row.

    Resumable: each batch commits with its checkpoint, and a successor simply deletes what is left.
    """
    workspace_id = ctx.workspace_id
    async with ctx.sessionmaker() as session:
        workspace = await session.get(Workspace, workspace_id)
        if workspace is not None and workspace.scheduled_for_removal_at is None:
            log.warning("workspace %s is no longer scheduled for removal; nothing removed", workspace_id)
            return
        total = ctx.data.get("total")
        if total is None:
            total = await _count(session, workspace_id, ctx.job_id)
    if "total" not in ctx.data:
        await ctx.progress(0, {"total": total, "deleted": 0})

    batch_size = ctx.settings.job_batch_size
    for model, column in PURGED:
        while True:
            async with ctx.sessionmaker() as session:
                rows = _rows(model, column, workspace_id, ctx.job_id).limit(batch_size)
                removed = await _delete(session, model, rows)
                if removed:
                    deleted = ctx.data["deleted"] + removed
                    await ctx.progress(_percent(deleted, total), {"deleted": deleted}, session=session)
            if removed < batch_size:
                break

    async with ctx.sessionmaker() as session:
        # Rows written after their table was purged (a request still in flight) go with the workspace.
        late = 0
        for model, column in PURGED:
            late += await _delete(session, model, _rows(model, column, workspace_id, ctx.job_id))
        await session.execute(delete(Workspace).where(Workspace.id == workspace_id))
        deleted = ctx.data["deleted"] + late
        await ctx.progress(99, {"deleted": deleted}, session=session)
    log.info("workspace %s removed (%d rows)", workspace_id, deleted)
