import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import Base
from coldsend.ids import new_id


class EventType:
    SENT = "sent"
    BOUNCED = "bounced"  # the lead stopped: a hard bounce, or a soft one past the retry bound
    SOFT_BOUNCED = "soft_bounced"  # a soft bounce that was tried again (count: how often)
    COMPLAINED = "complained"  # a spam complaint (feedback report); the lead is unsubscribed too
    OPENED = "opened"
    CLICKED = "clicked"
    REPLIED = "replied"
    AUTO_REPLIED = "auto_replied"
    UNSUBSCRIBED = "unsubscribed"


class Event(Base):
    """Something that happened to a lead at one step of a sequence; analytics count these.

    At most one event of a type per (sequence, lead, step): an open pixel loaded ten times is one
    `opened` event (its `count` says how often), so unique counts are row counts.
    """

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("type", "sequence_id", "lead_id", "step"),
        Index("ix_event_campaign_id_timestamp", "campaign_id", "timestamp"),
        Index("ix_event_workspace_id_account_email_timestamp", "workspace_id", "account_email", "timestamp"),
        Index("ix_event_lead_id", "lead_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    type: Mapped[str] = mapped_column(String(20))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    subsequence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign_subsequence.id", ondelete="CASCADE")
    )
    sequence_id: Mapped[uuid.UUID]
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lead.id", ondelete="SET NULL"))
    step: Mapped[int]
    variant: Mapped[int] = mapped_column(default=0)
    account_email: Mapped[str | None] = mapped_column(String(320))
    email_id: Mapped[uuid.UUID | None]
    count: Mapped[int] = mapped_column(default=1)
    detail: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(4))  # bounces: "hard" or "soft"
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    # Opens and clicks: when `count` last went up; a repeat sooner than tracking_repeat_seconds is not.
    timestamp_counted: Mapped[datetime | None]
