import uuid
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class NotSendingStatus(IntEnum):
    OUT_OF_SCHEDULE = 1
    WAITING_FOR_LEAD = 2
    CAMPAIGN_DAILY_LIMIT = 3
    ACCOUNTS_DAILY_LIMIT = 4
    ERROR = 99


class CampaignStatus(IntEnum):
    ACCOUNT_SUSPENDED = -99
    ACCOUNTS_UNHEALTHY = -1
    BOUNCE_PROTECT = -2
    DRAFT = 0
    ACTIVE = 1
    PAUSED = 2
    COMPLETED = 3
    RUNNING_SUBSEQUENCES = 4


class Campaign(RecordModel):
    """A campaign: schedule, sequence and sending options, in Instantly's field names.

    Nested structures (schedule, sequences, account lists...) are JSON as the API shows them; the
    fields the engine and the list filters query are columns.
    """

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_workspace_id_id", "workspace_id", "id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(default=0)
    not_sending_status: Mapped[int | None]
    pl_value: Mapped[float | None]
    is_evergreen: Mapped[bool | None]
    campaign_schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    sequences: Mapped[list[Any]] = mapped_column(JSON, default=list)
    email_gap: Mapped[int | None]
    random_wait_max: Mapped[int | None]
    text_only: Mapped[bool | None]
    first_email_text_only: Mapped[bool | None]
    email_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    email_tag_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    daily_limit: Mapped[int | None]
    daily_max_leads: Mapped[int | None]
    stop_on_reply: Mapped[bool | None]
    stop_on_auto_reply: Mapped[bool | None]
    link_tracking: Mapped[bool | None]
    open_tracking: Mapped[bool] = mapped_column(default=False)
    prioritize_new_leads: Mapped[bool | None]
    auto_variant_select: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    match_lead_esp: Mapped[bool | None]
    stop_for_company: Mapped[bool | None]
    core_variables: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    custom_variables: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    insert_unsubscribe_header: Mapped[bool | None]
    allow_risky_contacts: Mapped[bool | None]
    disable_bounce_protect: Mapped[bool | None]
    limit_emails_per_company_override: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cc_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    bcc_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    owned_by: Mapped[uuid.UUID | None]
    ai_sdr_id: Mapped[uuid.UUID | None]
    provider_routing_rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    timestamp_launched: Mapped[datetime | None]
    shared_until: Mapped[datetime | None]
