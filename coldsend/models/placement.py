import uuid
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import Base, RecordModel
from coldsend.ids import new_id


class PlacementTestType(IntEnum):
    ONE_TIME = 1
    AUTOMATED = 2


class SendingMethod(IntEnum):
    COLDSEND = 1  # from the workspace's accounts in `emails`
    OUTSIDE = 2  # sent by the user from elsewhere, found by `test_code`


class DeliveryMode(IntEnum):
    ONE_BY_ONE = 1
    ALL_TOGETHER = 2


class PlacementTestStatus(IntEnum):
    ACTIVE = 1
    PAUSED = 2
    COMPLETED = 3


class RecordType(IntEnum):
    SENT = 1
    RECEIVED = 2


class CopyState:
    PLANNED = "planned"
    SENDING = "sending"  # claimed under a lease; the final "." not yet written
    COMMITTED = "committed"  # recorded just before the final "."; counted as sent if its worker vanishes
    SENT = "sent"
    FAILED = "failed"  # refused by the server, or not sendable


class RunState:
    SENDING = "sending"  # copies planned and going out
    READING = "reading"  # every copy sent (or failed): the seeds are searched until found or missing
    REPORTING = "reporting"  # reports and automations, under a lease
    DONE = "done"


class PlacementSeed(RecordModel):
    """A seed mailbox: one of the workspace's accounts marked as a seed (`account_id`), or a mailbox
    registered with its IMAP access only. Its provider is found from its domain's MX hosts."""

    __tablename__ = "placement_seed"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), unique=True
    )
    imap_host: Mapped[str | None] = mapped_column(String(253))
    imap_port: Mapped[int | None]
    imap_username: Mapped[str | None] = mapped_column(String(320))
    imap_password_encrypted: Mapped[str | None] = mapped_column(Text)
    imap_tls: Mapped[str] = mapped_column(String(10), default="ssl")
    esp: Mapped[str] = mapped_column(String(20))  # Google, Microsoft, Yahoo, Zoho, Web.de, Libero.it, Other
    region: Mapped[str] = mapped_column(String(100))
    sub_region: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))  # Professional or Personal
    read_error: Mapped[str | None] = mapped_column(Text)


class PlacementTest(RecordModel):
    """An inbox placement test, with Instantly's fields."""

    __tablename__ = "placement_test"
    __table_args__ = (Index("ix_placement_test_status_timestamp_next_run", "status", "timestamp_next_run"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[int]
    sending_method: Mapped[int]
    delivery_mode: Mapped[int | None]
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    email_subject: Mapped[str] = mapped_column(Text)
    email_body: Mapped[str] = mapped_column(Text)
    emails: Mapped[list[str]] = mapped_column(JSON)
    test_code: Mapped[str | None] = mapped_column(String(50))
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    text_only: Mapped[bool | None]
    recipients_labels: Mapped[list[Any]] = mapped_column(JSON)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    timestamp_next_run: Mapped[datetime | None]
    automations: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[int] = mapped_column(default=PlacementTestStatus.ACTIVE)
    not_sending_status: Mapped[str | None] = mapped_column(String(20))


class PlacementRun(RecordModel):
    """One execution of a test: its copies go out, the seeds are read, then the reports and automations.

    `scheduled_for` is unique per test, so two workers starting the same run create it once. The
    reading side claims a run by stamping `read_at`; the reporting side holds a lease."""

    __tablename__ = "placement_run"
    __table_args__ = (
        UniqueConstraint("test_id", "scheduled_for"),
        Index("ix_placement_run_state_read_at", "state", "read_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    test_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_test.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default=RunState.SENDING)
    test_code: Mapped[str | None] = mapped_column(String(50))
    read_at: Mapped[datetime | None]
    missing_after: Mapped[datetime | None]  # copies not found by then are missing
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class PlacementCopy(RecordModel):
    """One copy of a test run sent to one seed, and where it landed: Instantly's Inbox Placement
    Analytics row. `record_type` is 1 (sent) until the copy is found in the seed, then 2 (received)."""

    __tablename__ = "placement_copy"
    __table_args__ = (
        Index("ix_placement_copy_state_due_at", "state", "due_at"),
        Index("ix_placement_copy_test_id_timestamp_created", "test_id", "timestamp_created"),
        Index("ix_placement_copy_run_id_seed_id", "run_id", "seed_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    test_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_test.id", ondelete="CASCADE"))
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_run.id", ondelete="CASCADE"))
    seed_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("placement_seed.id", ondelete="SET NULL"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    sender_email: Mapped[str | None] = mapped_column(String(320))
    recipient_email: Mapped[str] = mapped_column(String(320))
    sender_esp: Mapped[int | None]
    recipient_esp: Mapped[int | None]
    recipient_geo: Mapped[int | None]
    recipient_type: Mapped[int | None]
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=CopyState.PLANNED)
    due_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    record_type: Mapped[int] = mapped_column(default=RecordType.SENT)
    found_at: Mapped[datetime | None]
    folder: Mapped[str | None] = mapped_column(String(500))
    is_spam: Mapped[bool | None]
    has_category: Mapped[bool | None]
    missing: Mapped[bool] = mapped_column(default=False)
    spf_pass: Mapped[bool | None]
    dkim_pass: Mapped[bool | None]
    dmarc_pass: Mapped[bool | None]
    authentication_failure_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    smtp_ip: Mapped[str | None] = mapped_column(String(45))
    # The received copy, kept until the run's reports are made (SpamAssassin reads it), then cleared.
    raw: Mapped[str | None] = mapped_column(Text)


class PlacementReport(RecordModel):
    """The blacklist and SpamAssassin report of one run and sending domain."""

    __tablename__ = "placement_report"
    __table_args__ = (
        UniqueConstraint("run_id", "domain"),
        Index("ix_placement_report_test_id_timestamp_created", "test_id", "timestamp_created"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    test_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_test.id", ondelete="CASCADE"))
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_run.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(253))
    domain_ip: Mapped[str] = mapped_column(String(45))
    domain_blacklist_count: Mapped[int | None]
    domain_ip_blacklist_count: Mapped[int | None]
    spam_assassin_score: Mapped[float | None]
    spam_assassin_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    blacklist_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PlacementAutomationRun(Base):
    """An automation of a test that fired in a run: written in the transaction of its actions, unique by
    (run, automation index), so each acts once per run. Campaigns it paused for a while are resumed at
    `resume_at`."""

    __tablename__ = "placement_automation_run"
    __table_args__ = (UniqueConstraint("run_id", "automation"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_run.id", ondelete="CASCADE"))
    automation: Mapped[int]
    test_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("placement_test.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    condition: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None]
    actions: Mapped[dict[str, Any]] = mapped_column(JSON)
    paused_campaigns: Mapped[list[str] | None] = mapped_column(JSON)
    resume_at: Mapped[datetime | None] = mapped_column(index=True)
    resumed_at: Mapped[datetime | None]
    timestamp_created: Mapped[datetime]
    # The webhook call of a `webhook_url` action: pending until its URL answers 2xx (then delivered) or
    # the retry schedule runs out (failed); `webhook_next_at` is the next attempt, or a claim's lease.
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_status: Mapped[str | None] = mapped_column(String(10))
    webhook_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    webhook_next_at: Mapped[datetime | None] = mapped_column(index=True)
