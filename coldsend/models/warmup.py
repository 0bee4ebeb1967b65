import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import Base, RecordModel


class WarmupState:
    PLANNED = "planned"  # in the day's plan, due at `due_at`
    SENDING = "sending"  # claimed by a worker under a lease; the final "." not yet written
    COMMITTED = "committed"  # recorded just before the final "."; counted as sent if its worker vanishes
    SENT = "sent"
    FAILED = "failed"  # refused by the server, or not sendable (attempts spent)
    EXPIRED = "expired"  # its day ended before it could be sent (the account paused or in error)


class WarmupKind:
    OPENER = "opener"  # starts a thread
    REPLY = "reply"  # answers a warmup message the sender received


class Landing:
    INBOX = "inbox"
    SPAM = "spam"


class WarmupMessage(RecordModel):
    """One warmup email between two mailboxes of a pool, planned for a day and sent exactly once.

    The Message-ID is chosen when the row is planned and reused by every attempt. The receiving side
    records where the message was first found (`landed`: inbox or spam), whether it was rescued from
    spam, and when it was filed into the warmup folder.
    """

    __tablename__ = "warmup_message"
    __table_args__ = (
        Index("ix_warmup_message_state_due_at", "state", "due_at"),
        Index("ix_warmup_message_sender_id_day", "sender_id", "day"),
        Index("ix_warmup_message_recipient_id_state", "recipient_id", "state"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    pool_id: Mapped[uuid.UUID]
    sender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    sender_email: Mapped[str] = mapped_column(String(320))
    recipient_email: Mapped[str] = mapped_column(String(320))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10), default=WarmupKind.OPENER)
    # The warmup message a reply answers (at most one reply each).
    parent_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=WarmupState.PLANNED)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    landed: Mapped[str | None] = mapped_column(String(10))
    landed_at: Mapped[datetime | None]
    rescued: Mapped[bool] = mapped_column(default=False)
    marked_read: Mapped[bool] = mapped_column(default=False)
    marked_important: Mapped[bool] = mapped_column(default=False)
    filed_at: Mapped[datetime | None]
    # Found in spam after it had been filed: the mailbox's user marked it as spam.
    user_spam: Mapped[bool] = mapped_column(default=False)
    bounced: Mapped[bool] = mapped_column(default=False)


class WarmupRamp(Base):
    """An account's warmup ramp, kept across restarts: how many days it has warmed up, the last day
    planned (a day is planned once), what that day's volume was, and strikes that slow it down.
    Also the receiving side's claim stamp (`read_at`) and the mailbox provider found by MX."""

    __tablename__ = "warmup_ramp"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    days: Mapped[int] = mapped_column(default=0)
    last_day: Mapped[date | None] = mapped_column(Date)
    volume: Mapped[int] = mapped_column(default=0)
    # Days still to plan at a reduced volume and without growth (after a bounce or a spam mark).
    slow_days: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str | None] = mapped_column(String(20))
    read_at: Mapped[datetime | None] = mapped_column(index=True)
    read_error: Mapped[str | None] = mapped_column(Text)
