import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.api.auth import Principal
from coldsend.audit_logs.schemas import ActivityType
from coldsend.models import AuditLog


async def record(
    session: AsyncSession,
    principal: Principal,
    activity_type: ActivityType,
    *,
    affected_count: int | None = None,
    campaign_id: uuid.UUID | None = None,
    webhook_id: uuid.UUID | None = None,
    subsequence_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> AuditLog:
    """Write the audit row for an activity done through the API, in the caller's transaction."""
    entry = AuditLog(
        workspace_id=principal.workspace_id,
        activity_type=int(activity_type),
        user_agent=principal.user_agent,
        ip_address=principal.ip_address,
        from_api=True,
        api_key_id=principal.api_key_id,
        affected_count=affected_count,
        campaign_id=campaign_id,
        webhook_id=webhook_id,
        subsequence_id=subsequence_id,
        list_id=list_id,
        audit_metadata=metadata or {},
    )
    session.add(entry)
    return entry
