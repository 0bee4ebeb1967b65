import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import Base
from coldsend.ids import new_id


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
