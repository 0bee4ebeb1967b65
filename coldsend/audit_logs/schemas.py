import uuid
from enum import IntEnum
from typing import Any

from pydantic import AliasChoices, Field

from coldsend.http.schemas import ResponseModel, Timestamp


class ActivityType(IntEnum):
    USER_LOGIN = 1
    LEAD_DELETION = 2
    CAMPAIGN_DELETION = 3
    CAMPAIGN_LAUNCH = 4
    CAMPAIGN_PAUSE = 5
    ACCOUNT_ADDITION = 6
    ACCOUNT_DELETION = 7
    LEAD_MOVED = 8
    LEAD_ADDED = 9
    LEAD_MERGED = 10
    CAMPAIGN_UPDATE = 11
    SUBSEQUENCE_UPDATE = 12
    WEBHOOK_CREATED = 18
    WEBHOOK_UPDATED = 19
    WEBHOOK_MARKED_AS_ERROR = 20
    WEBHOOK_RESUMED = 21
    TOTP_ENROLLMENT_STARTED = 22
    TOTP_ENABLED = 23
    TOTP_REPLACEMENT_STARTED = 24
    TOTP_REPLACED = 25
    TOTP_DISABLED = 26
    MFA_RECOVERY_CODES_GENERATED = 27
    MFA_RECOVERY_CODE_USED = 28
    MFA_LOGIN_CHALLENGE_FAILED = 29
    MFA_LOGIN_CHALLENGE_FAILED_TOO_MANY_TIMES = 30
    MFA_LOGIN_SUCCEEDED = 31
    SUBSCRIBER_IMPORT_STARTED = 32
    SUBSCRIBER_IMPORT_CANCELLED = 33
    LEAD_EXPORTED = 34
    SUPERSEARCH_ENRICHMENT_CREATED = 35
    ACCOUNT_UPDATE = 36
    API_KEY_CREATED = 37
    API_KEY_DELETED = 38


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
