import uuid
from typing import Any

from pydantic import AliasChoices, Field

from coldsend.http.schemas import ResponseModel, Timestamp


class AuditLog(ResponseModel):
    id: uuid.UUID
    timestamp: Timestamp
    organization_id: uuid.UUID = Field(validation_alias=AliasChoices("organization_id", "workspace_id"))
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
