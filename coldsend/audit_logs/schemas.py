import uuid
from typing import Any

from coldsend.http.schemas import OrganizationId, ResponseModel, Timestamp


class AuditLog(ResponseModel):
    id: uuid.UUID
    timestamp: Timestamp
    organization_id: OrganizationId
    activity_type: int
    user_agent: str | None
    user_id: uuid.UUID | None
    ip_address: str
    from_api: bool
    api_key_id: uuid.UUID | None
    affected_count: int | None
    campaign_id: uuid.UUID | None
    webhook_id: uuid.UUID | None
    subsequence_id: uuid.UUID | None
    list_id: uuid.UUID | None
    audit_metadata: dict[str, Any]
    user_name: str | None
