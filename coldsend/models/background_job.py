import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import Base
from coldsend.ids import new_object_id


class EntityType(StrEnum):
    LIST = "list"
    CAMPAIGN = "campaign"
    WORKSPACE = "workspace"
    BROADCAST = "broadcast"
    SUBSCRIBER_GROUP_SYNC = "subscriber-group-sync"
    SUBSCRIBER_GROUP = "subscriber-group"


class JobType(StrEnum):
    """The spec's job types: the only ones the API shows. Internal types live next to their handlers."""

    MOVE_LEADS = "move-leads"
    IMPORT_LEADS = "import-leads"
    EXPORT_LEADS = "export-leads"
    UPDATE_WARMUP_ACCOUNTS = "update-warmup-accounts"
    RENAME_VARIABLE = "rename-variable"
    BROADCAST_AI_GENERATE = "broadcast-ai-generate"
    BROADCAST_WEBSITE_SCRAPE = "broadcast-website-scrape"
    IMPORT_SUBSCRIBERS_FROM_CRM = "import-subscribers-from-crm"
    RESYNC_SUBSCRIBER_CRM_TAGS = "resync-subscriber-crm-tags"


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    SUCCESS = "success"
    FAILED = "failed"
    DRAINING = "draining"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class BackgroundJob(Base):
    """Long-running work, claimed by engine workers under an expiring lease."""

    __tablename__ = "background_job"
    __table_args__ = (
        Index("ix_background_job_status_run_after", "status", "run_after"),
        Index("ix_background_job_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_object_id)
    # No foreign key: the job that removes a workspace outlives it, to record how the removal ended.
    workspace_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Runner bookkeeping, never shown through the API.
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
