import uuid
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class UploadMethod(StrEnum):
    MANUAL = "manual"
    API = "api"
    WEBSITE_VISITOR = "website-visitor"


class EnrichmentStatus(IntEnum):
    ENRICHED = 1
    NOT_AVAILABLE = -1
    PENDING = 11
    ERROR = -2


class LeadVerificationStatus(IntEnum):
    VERIFIED = 1
    INVALID = -1
    RISKY = -2
    CATCH_ALL = -3
    JOB_CHANGE = -4
    PENDING = 11
    PENDING_VERIFICATION_JOB = 12


class LeadStatus(IntEnum):
    ACTIVE = 1
    PAUSED = 2
    COMPLETED = 3
    BOUNCED = -1
    UNSUBSCRIBED = -2
    SKIPPED = -3


class Lead(RecordModel):
    """A contact in one campaign or one lead list (never both), in Instantly's field names.

    `email` is stored lower-cased and trimmed, so duplicates within a campaign, list or workspace are
    found by index; the engine's per-lead state (counters, last step...) lives here too.
    """

    __tablename__ = "lead"
    __table_args__ = (
        Index("ix_lead_workspace_id_id", "workspace_id", "id"),
        Index("ix_lead_workspace_id_email", "workspace_id", "email"),
        # The duplicate check's probe: the one index that `email = ...` alone selects (issue 21).
        Index(
            "ix_lead_email",
            "email",
            postgresql_where=text("email IS NOT NULL"),
            sqlite_where=text("email IS NOT NULL"),
        ),
        # Partial: a lead is in a campaign or in a list, so each index skips the other half.
        Index(
            "ix_lead_campaign_id_email",
            "campaign_id",
            "email",
            postgresql_where=text("campaign_id IS NOT NULL"),
            sqlite_where=text("campaign_id IS NOT NULL"),
        ),
        # The scheduler's live leads of a campaign, in the order it takes new ones (issue 21).
        Index(
            "ix_lead_campaign_id_live",
            "campaign_id",
            "timestamp_created",
            "id",
            postgresql_where=text("status = 1 AND subsequence_id IS NULL"),
            sqlite_where=text("status = 1 AND subsequence_id IS NULL"),
        ),
        # Its live leads at one step, by when that step went: the follow-ups due (issue 21).
        Index(
            "ix_lead_campaign_id_last_step_id",
            "campaign_id",
            "last_step_id",
            "last_step_timestamp_executed",
            "id",
            postgresql_where=text("status = 1 AND subsequence_id IS NULL"),
            sqlite_where=text("status = 1 AND subsequence_id IS NULL"),
        ),
        Index(
            "ix_lead_campaign_id_id",
            "campaign_id",
            "id",
            postgresql_where=text("campaign_id IS NOT NULL"),
            sqlite_where=text("campaign_id IS NOT NULL"),
        ),
        Index(
            "ix_lead_list_id_email",
            "list_id",
            "email",
            postgresql_where=text("list_id IS NOT NULL"),
            sqlite_where=text("list_id IS NOT NULL"),
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lead_list.id", ondelete="CASCADE"))
    subsequence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign_subsequence.id", ondelete="SET NULL")
    )
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(500))
    last_name: Mapped[str | None] = mapped_column(String(500))
    company_name: Mapped[str | None] = mapped_column(String(500))
    company_domain: Mapped[str] = mapped_column(String(253), default="")
    job_title: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(2048))
    personalization: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[int] = mapped_column(default=1)
    lt_interest_status: Mapped[int | None]
    verification_status: Mapped[int | None]
    enrichment_status: Mapped[int | None]
    esp_code: Mapped[int | None]
    esg_code: Mapped[int | None]
    upload_method: Mapped[str] = mapped_column(String(30), default="api")
    uploaded_by_user: Mapped[uuid.UUID | None]
    assigned_to: Mapped[uuid.UUID | None]
    pl_value_lead: Mapped[str | None] = mapped_column(String(100))
    is_website_visitor: Mapped[bool | None]
    email_open_count: Mapped[int] = mapped_column(default=0)
    email_reply_count: Mapped[int] = mapped_column(default=0)
    email_click_count: Mapped[int] = mapped_column(default=0)
    status_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status_summary_subseq: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_step_from: Mapped[str | None] = mapped_column(String(100))
    last_step_id: Mapped[uuid.UUID | None]
    last_step_timestamp_executed: Mapped[datetime | None]
    last_contacted_from: Mapped[str | None] = mapped_column(String(320))
    email_opened_step: Mapped[int | None]
    email_opened_variant: Mapped[int | None]
    email_replied_step: Mapped[int | None]
    email_replied_variant: Mapped[int | None]
    email_clicked_step: Mapped[int | None]
    email_clicked_variant: Mapped[int | None]
    timestamp_added_subsequence: Mapped[datetime | None]
    timestamp_last_contact: Mapped[datetime | None]
    timestamp_last_open: Mapped[datetime | None]
    timestamp_last_reply: Mapped[datetime | None]
    timestamp_last_interest_change: Mapped[datetime | None]
    timestamp_last_click: Mapped[datetime | None]
    timestamp_last_touch: Mapped[datetime | None]
