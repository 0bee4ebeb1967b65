import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class EmailType:
    """Email.ue_type."""

    SENT_FROM_CAMPAIGN = 1
    RECEIVED = 2
    SENT = 3
    SCHEDULED = 4


class Email(RecordModel):
    """A message sent or received, in the spec's Email fields (the Unibox's rows).

    Campaign sends point back at their `send` row; `thread_id` groups a lead's messages of one
    sequence. `body` is `{"html": ..., "text": ...}` as the API shows it.
    """

    __tablename__ = "email"
    __table_args__ = (
        Index("ix_email_workspace_id_id", "workspace_id", "id"),
        Index("ix_email_workspace_id_message_id", "workspace_id", "message_id"),
        Index("ix_email_campaign_id_timestamp_created", "campaign_id", "timestamp_created"),
        Index("ix_email_workspace_id_thread_id", "workspace_id", "thread_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    send_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("send.id", ondelete="SET NULL"), unique=True)
    timestamp_email: Mapped[datetime]
    message_id: Mapped[str] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text, default="")
    from_address_email: Mapped[str | None] = mapped_column(String(320))
    to_address_email_list: Mapped[str] = mapped_column(Text, default="")
    cc_address_email_list: Mapped[str | None] = mapped_column(Text)
    bcc_address_email_list: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    subsequence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign_subsequence.id", ondelete="SET NULL")
    )
    list_id: Mapped[uuid.UUID | None]
    lead: Mapped[str | None] = mapped_column(String(320))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    eaccount: Mapped[str] = mapped_column(String(320))
    ue_type: Mapped[int] = mapped_column(default=EmailType.SENT_FROM_CAMPAIGN)
    step: Mapped[str | None] = mapped_column(String(100))
    is_unread: Mapped[int | None]
    is_auto_reply: Mapped[int | None]
    reminder_ts: Mapped[datetime | None]
    ai_interest_value: Mapped[float | None]
    ai_assisted: Mapped[int | None]
    is_focused: Mapped[int | None]
    i_status: Mapped[int | None]
    thread_id: Mapped[str | None] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    content_preview: Mapped[str | None] = mapped_column(String(500))
    attachment_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    from_address_json: Mapped[list[Any] | None] = mapped_column(JSON)
    to_address_json: Mapped[list[Any] | None] = mapped_column(JSON)
    cc_address_json: Mapped[list[Any] | None] = mapped_column(JSON)
    ai_agent_id: Mapped[uuid.UUID | None]
