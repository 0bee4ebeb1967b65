import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.repository import keyset_rows
from coldsend.lead_lists.schemas import VerificationCounts, VerificationStats
from coldsend.models import Lead, LeadList, LeadVerificationStatus, Workspace
from coldsend.workspace_members.membership import check_members

SHOWN_COLUMNS = (
    LeadList.id,
    LeadList.workspace_id.label("organization_id"),
    LeadList.has_enrichment_task,
    LeadList.owned_by,
    LeadList.name,
    LeadList.timestamp_created,
)

# Which `stats` counter each verification status adds to.
STAT_OF_STATUS: dict[int, str] = {
    LeadVerificationStatus.VERIFIED: "verified",
    LeadVerificationStatus.INVALID: "invalid",
    LeadVerificationStatus.RISKY: "risky",
    LeadVerificationStatus.CATCH_ALL: "catch_all",
    LeadVerificationStatus.JOB_CHANGE: "job_change",
    LeadVerificationStatus.PENDING: "verification_job_pending_leadfinder",
    LeadVerificationStatus.PENDING_VERIFICATION_JOB: "verification_job_pending_user",
}


@dataclass(frozen=True, slots=True)
class Filters:
    has_enrichment_task: bool | None = None
    search: str | None = None
    created_after: datetime | None = None


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    has_enrichment_task: bool | None,
    owned_by: uuid.UUID | None,
) -> LeadList:
    """`owned_by` defaults to the workspace's owner, the one user an API key acts for."""
    await check_members(session, workspace_id=workspace_id, user_ids=[owned_by], field="body/owned_by")
    if owned_by is None:
        workspace = await session.get(Workspace, workspace_id)
        owned_by = workspace.owner_id if workspace else None
    lead_list = LeadList(
        workspace_id=workspace_id, name=name, has_enrichment_task=has_enrichment_task, owned_by=owned_by
    )
    session.add(lead_list)
    await session.flush()
    return lead_list


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, list_id: uuid.UUID) -> LeadList | None:
    stmt = select(LeadList).where(LeadList.id == list_id, LeadList.workspace_id == workspace_id)
    lead_list: LeadList | None = await session.scalar(stmt)
    return lead_list


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, filters: Filters, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of SHOWN_COLUMNS in id (creation) order."""
    stmt = select(*SHOWN_COLUMNS).where(LeadList.workspace_id == workspace_id)
    if filters.has_enrichment_task is not None:
        stmt = stmt.where(LeadList.has_enrichment_task.is_(filters.has_enrichment_task))
    if filters.search:
        stmt = stmt.where(LeadList.name.icontains(filters.search, autoescape=True))
    if filters.created_after is not None:
        stmt = stmt.where(LeadList.timestamp_created > filters.created_after)
    return await keyset_rows(session, stmt, key=LeadList.id, limit=limit, after=after)


async def update(session: AsyncSession, lead_list: LeadList, *, changes: dict[str, Any]) -> LeadList:
    if "owned_by" in changes:
        owner = [changes["owned_by"]]
        await check_members(
            session, workspace_id=lead_list.workspace_id, user_ids=owner, field="body/owned_by"
        )
    for field, value in changes.items():
        setattr(lead_list, field, value)
    await session.flush()
    return lead_list


async def remove(session: AsyncSession, lead_list: LeadList) -> LeadList:
    """The list's leads go with it (ON DELETE CASCADE)."""
    await session.delete(lead_list)
    await session.flush()
    return lead_list


async def verification_stats(session: AsyncSession, lead_list: LeadList) -> VerificationStats:
    """The list's leads counted by verification status, in one grouped query."""
    stmt = (
        select(Lead.verification_status, func.count())
        .where(Lead.list_id == lead_list.id, Lead.workspace_id == lead_list.workspace_id)
        .group_by(Lead.verification_status)
    )
    counts: dict[str, int] = {}
    total = 0
    for status, count in (await session.execute(stmt)).tuples():
        total += count
        stat = STAT_OF_STATUS.get(status) if status is not None else None
        if stat:
            counts[stat] = count
    return VerificationStats(stats=VerificationCounts(**counts), total_leads=total)
