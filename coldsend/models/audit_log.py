import uuid
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import Base
from coldsend.ids import new_id


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


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace_id_id", "workspace_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    activity_type: Mapped[int]
    user_agent: Mapped[str | None] = mapped_column(String(1000))
    user_id: Mapped[uuid.UUID | None]
    user_name: Mapped[str | None] = mapped_column(String(400))
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    from_api: Mapped[bool] = mapped_column(default=True)
    api_key_id: Mapped[uuid.UUID | None]
    affected_count: Mapped[int | None]
    campaign_id: Mapped[uuid.UUID | None]
    webhook_id: Mapped[uuid.UUID | None]
    subsequence_id: Mapped[uuid.UUID | None]
    list_id: Mapped[uuid.UUID | None]
    audit_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
