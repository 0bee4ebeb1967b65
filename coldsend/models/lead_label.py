import uuid
from enum import IntEnum, StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class InterestStatusLabel(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


class InterestStatus(IntEnum):
    """Instantly's built-in lead interest values (`Lead.lt_interest_status`)."""

    OUT_OF_OFFICE = 0
    INTERESTED = 1
    MEETING_BOOKED = 2
    MEETING_COMPLETED = 3
    WON = 4
    NOT_INTERESTED = -1
    WRONG_PERSON = -2
    LOST = -3
    NO_SHOW = -4


class LeadLabel(RecordModel):
    """A workspace's own interest status; `interest_status` is the value leads and emails carry.

    Labels need not be unique: Instantly documents no conflict for them (unlike custom tags).
    """

    __tablename__ = "lead_label"
    __table_args__ = (UniqueConstraint("workspace_id", "interest_status"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    created_by: Mapped[uuid.UUID]
    label: Mapped[str] = mapped_column(String(200))
    interest_status_label: Mapped[str] = mapped_column(String(20))
    interest_status: Mapped[int]
    description: Mapped[str | None] = mapped_column(Text)
    use_with_ai: Mapped[bool | None]


class ReplyLabelPrediction(RecordModel):
    """One call of `POST /lead-labels/ai-reply-label`, counted against the workspace's budget."""

    __tablename__ = "reply_label_prediction"
    __table_args__ = (
        Index(
            "ix_reply_label_prediction_workspace_id_timestamp_created", "workspace_id", "timestamp_created"
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
