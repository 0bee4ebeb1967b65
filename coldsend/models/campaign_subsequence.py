import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import RecordModel


class DailyLimitMode(StrEnum):
    INHERIT = "inherit"
    CUSTOM = "custom"
    UNLIMITED = "unlimited"


class CampaignSubsequence(RecordModel):
    """A follow-up sequence of a campaign, entered by leads that meet its `conditions`."""

    __tablename__ = "campaign_subsequence"

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    parent_campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON)
    subsequence_schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sequences: Mapped[list[Any]] = mapped_column(JSON, default=list)
    auto_variant_select: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    daily_limit_mode: Mapped[str] = mapped_column(String(20), default="inherit")
    daily_limit: Mapped[int | None]
    ignore_account_daily_limit: Mapped[bool] = mapped_column(default=False)
    timestamp_leads_updated: Mapped[datetime] = mapped_column(default=utcnow)
