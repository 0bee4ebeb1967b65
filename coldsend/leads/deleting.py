"""DELETE /leads: the leads of a campaign or list matching filters, at once."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.audit_logs import service as audit_log_service
from coldsend.leads.schemas import (
    LeadsDelete,
)
from coldsend.leads.service import check_container
from coldsend.models import ActivityType
from coldsend.models import Lead as LeadRow
from coldsend.principal import Principal


async def delete_many(session: AsyncSession, principal: Principal, *, delete_in: LeadsDelete) -> int:
    """Delete the leads of a campaign and/or list matching the filters, up to `limit`; how many went."""
    workspace_id = principal.workspace_id
    await check_container(
        session, workspace_id=workspace_id, campaign_id=delete_in.campaign_id, list_id=delete_in.list_id
    )
    chosen = select(LeadRow.id).where(LeadRow.workspace_id == workspace_id)
    if delete_in.campaign_id is not None:
        chosen = chosen.where(LeadRow.campaign_id == delete_in.campaign_id)
    if delete_in.list_id is not None:
        chosen = chosen.where(LeadRow.list_id == delete_in.list_id)
    if delete_in.status is not None:
        chosen = chosen.where(LeadRow.status == int(delete_in.status))
    if delete_in.ids is not None:
        chosen = chosen.where(LeadRow.id.in_(delete_in.ids))
    if delete_in.limit is not None:
        chosen = chosen.order_by(LeadRow.id).limit(delete_in.limit)
    result = await session.execute(
        delete(LeadRow)
        .where(LeadRow.id.in_(chosen.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        await audit_log_service.record(
            session,
            principal,
            ActivityType.LEAD_DELETION,
            affected_count=count,
            campaign_id=delete_in.campaign_id,
            list_id=delete_in.list_id,
        )
    return count
