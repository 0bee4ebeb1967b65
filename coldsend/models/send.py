import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class SendState:
    SCHEDULED = "scheduled"  # written by the scheduler, due at `due_at`
    SENDING = "sending"  # claimed by a sender under a lease; SMTP transaction not yet committed
    COMMITTED = "committed"  # recorded just before the final "." of DATA; ambiguous if the lease expires
    SENT = "sent"
    RETRY = "retry"  # temporary failure or soft bounce; due again at `due_at`
    BOUNCED = "bounced"  # permanent rejection of the recipient
    FAILED = "failed"  # gave up (attempts exhausted, or nothing renderable)
    CANCELLED = "cancelled"  # the lead stopped (reply, unsubscribe, block) before it was sent


class Send(RecordModel):
    """One (sequence, lead, step): the unit the engine sends exactly once.

    `sequence_id` is the campaign id for a campaign's steps and the subsequence id for a subsequence's,
    so the unique key holds for both; the Message-ID is chosen when the row is written and reused by
    every attempt, so a resend after a crash is recognisable.
    """

    __tablename__ = "send"
    __table_args__ = (
        UniqueConstraint("sequence_id", "lead_id", "step"),
        Index("ix_send_state_due_at", "state", "due_at"),
        Index("ix_send_account_id_sent_at", "account_id", "sent_at"),
        Index("ix_send_account_id_state_due_at", "account_id", "state", "due_at"),
        Index("ix_send_campaign_id_sent_at", "campaign_id", "sent_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    subsequence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign_subsequence.id", ondelete="CASCADE")
    )
    sequence_id: Mapped[uuid.UUID]
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    variant: Mapped[int] = mapped_column(default=0)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    account_email: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=SendState.SCHEDULED)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    # Soft bounces of this step so far (mailbox full, expired, ...): it is sent again until a bound.
    soft_bounces: Mapped[int] = mapped_column(default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
