import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class WebhookState:
    AWAITING = "awaiting"  # POST answered pending: send the result once it is known
    PENDING = "pending"  # due for delivery
    DELIVERED = "delivered"
    FAILED = "failed"


class RequestStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"


class VerificationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    INVALID = "invalid"


class EmailVerification(RecordModel):
    """The latest verification of one address in one workspace, its richer result, and its webhook.

    `email` is the normalised address (IDN domains in punycode). A pending row is worked on by whoever
    holds its lease: the API request that created it, then any engine worker once the lease expires.
    """

    __tablename__ = "email_verification"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        Index("ix_email_verification_status_next_attempt_at", "verification_status", "next_attempt_at"),
        Index("ix_email_verification_webhook_status_webhook_next_at", "webhook_status", "webhook_next_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    email: Mapped[str] = mapped_column(String(320))
    verification_status: Mapped[str] = mapped_column(String(20), default="pending")
    status: Mapped[str | None] = mapped_column(String(20))
    catch_all: Mapped[bool | None]
    # Reacher-style result: safe / risky / invalid / unknown, and why.
    reachability: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credits_used: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_status: Mapped[str | None] = mapped_column(String(20))
    webhook_attempts: Mapped[int] = mapped_column(default=0)
    webhook_next_at: Mapped[datetime | None]
