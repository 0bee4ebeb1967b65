import uuid
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import Base, RecordModel
from coldsend.ids import new_id


class WebhookStatus(IntEnum):
    ACTIVE = 1
    ERROR = -1  # disabled: a 410, or every delivery failed for `webhook_disable_after_seconds`


class Webhook(RecordModel):
    """A subscription: one event type (or all, or a custom lead label) of one campaign (or all of the
    workspace's), posted to `target_hook_url`, signed with the webhook's own secret."""

    __tablename__ = "webhook"

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255))
    target_hook_url: Mapped[str] = mapped_column(Text)
    event_type: Mapped[str | None] = mapped_column(String(64))  # None: a custom label's events
    custom_interest_value: Mapped[int | None]
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[int] = mapped_column(default=WebhookStatus.ACTIVE)
    timestamp_error: Mapped[datetime | None]  # when it was disabled
    failing_since: Mapped[datetime | None]  # the first failed attempt since the last delivered one
    # `whsec_...`, encrypted (coldsend/encryption.py). After a rotation the previous secret also signs
    # until `previous_secret_until`, so deliveries queued before it still verify with the old one.
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None]


class WebhookFact(Base):
    """Something a webhook may be owed, written in the transaction of the change that caused it (the
    outbox). The dispatcher turns each into one delivery per matching webhook, then deletes it."""

    __tablename__ = "webhook_fact"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)  # UUIDv7: in order written
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # The subscription name (email_sent, reply_received, auto_reply_received, lead_interested, ...);
    # `custom_label` for a custom lead label, whose value is `interest_value`.
    event_type: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[uuid.UUID | None]
    lead_id: Mapped[uuid.UUID | None]
    email_id: Mapped[uuid.UUID | None]  # the Email row the event is about (the sent one)
    reply_email_id: Mapped[uuid.UUID | None]  # a reply's own Email row
    account_email: Mapped[str | None] = mapped_column(String(320))
    step: Mapped[int | None]  # zero-based, as stored
    variant: Mapped[int | None]
    is_first: Mapped[bool | None] = mapped_column(Boolean)
    interest_value: Mapped[int | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # extra payload fields
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryState:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt of the schedule failed, or the webhook answered 410


class WebhookDelivery(Base):
    """One event owed to one webhook: its payload, fixed when it was queued, and where its retry
    schedule stands. Its id is the `webhook-id` header of every attempt (receivers deduplicate on it)
    and the `retry_group_id` of its attempts in the log."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook_id_state", "webhook_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))  # the payload's event_type
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    lead_email: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(10), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    timestamp_created: Mapped[datetime] = mapped_column(default=utcnow)
    timestamp_delivered: Mapped[datetime | None]


class WebhookEvent(Base):
    """One attempt to deliver: the delivery log (the spec's Webhook Event)."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        Index("ix_webhook_event_workspace_id_timestamp_created", "workspace_id", "timestamp_created"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("webhook.id", ondelete="SET NULL"))
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # retry_group_id
    timestamp_created: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    success: Mapped[bool] = mapped_column(Boolean)
    retry_count: Mapped[int]  # 0: the first attempt
    will_retry: Mapped[bool] = mapped_column(Boolean)
    webhook_url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    timestamp_next_retry: Mapped[datetime | None]
    retry_successful: Mapped[bool | None] = mapped_column(Boolean)  # retries only: did this one succeed
    lead_email: Mapped[str | None] = mapped_column(String(320))
    response_time_ms: Mapped[int | None]
