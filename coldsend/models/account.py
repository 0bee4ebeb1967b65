import uuid
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class ProviderCode(IntEnum):
    CUSTOM_IMAP_SMTP = 1
    GOOGLE = 2
    MICROSOFT = 3
    AWS = 4
    AIRMAIL = 8
    AIRMAIL_INSTANT = 11


class WarmupStatus(IntEnum):
    PAUSED = 0
    ACTIVE = 1
    BANNED = -1
    SPAM_FOLDER_UNKNOWN = -2
    PERMANENT_SUSPENSION = -3


class AccountStatus(IntEnum):
    ACTIVE = 1
    PAUSED = 2
    MAINTENANCE = 3
    CONNECTION_ERROR = -1
    SOFT_BOUNCE_ERROR = -2
    SENDING_ERROR = -3


class Account(RecordModel):
    """A sending mailbox: Instantly's Account fields plus the SMTP/IMAP settings it is reached by.

    Keyed by `email` inside a workspace (the API's paths use the address). Passwords, OAuth tokens and the
    DKIM key are stored encrypted (`coldsend/encryption.py`) and never leave the server. An account
    connected through OAuth (`oauth_provider` set) logs in with XOAUTH2 instead of its passwords.
    """

    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        Index("ix_account_workspace_id_timestamp_created", "workspace_id", "timestamp_created"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(500), default="")
    last_name: Mapped[str] = mapped_column(String(500), default="")
    provider_code: Mapped[int] = mapped_column(default=1)
    status: Mapped[int] = mapped_column(default=1)
    status_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    warmup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    warmup_status: Mapped[int] = mapped_column(default=0)
    timestamp_warmup_start: Mapped[datetime | None]
    stat_warmup_score: Mapped[float | None]
    daily_limit: Mapped[int | None]
    daily_limit_max: Mapped[int | None]
    warmup_limit_max: Mapped[int | None]
    sending_gap: Mapped[int] = mapped_column(default=10)
    enable_slow_ramp: Mapped[bool | None]
    tracking_domain_name: Mapped[str | None] = mapped_column(String(253))
    tracking_domain_status: Mapped[str | None] = mapped_column(String(50))
    inbox_placement_test_limit: Mapped[int | None]
    signature: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    setup_pending: Mapped[bool] = mapped_column(default=False)
    is_managed_account: Mapped[bool] = mapped_column(default=False)
    autofix_failed: Mapped[bool | None]
    added_by: Mapped[uuid.UUID | None]
    modified_by: Mapped[uuid.UUID | None]

    smtp_host: Mapped[str] = mapped_column(String(253))
    smtp_port: Mapped[int]
    smtp_username: Mapped[str] = mapped_column(String(320))
    smtp_password_encrypted: Mapped[str] = mapped_column(Text)
    smtp_tls: Mapped[str] = mapped_column(String(10), default="starttls")  # "ssl" | "starttls" | "none"
    imap_host: Mapped[str | None] = mapped_column(String(253))
    imap_port: Mapped[int | None]
    imap_username: Mapped[str | None] = mapped_column(String(320))
    imap_password_encrypted: Mapped[str | None] = mapped_column(Text)
    imap_tls: Mapped[str] = mapped_column(String(10), default="ssl")  # "ssl" | "starttls" | "none"
    dkim_selector: Mapped[str | None] = mapped_column(String(63))
    dkim_private_key_encrypted: Mapped[str | None] = mapped_column(Text)
    # When the health loop last claimed the account for an IMAP login check (never shown).
    health_checked_at: Mapped[datetime | None]
    # OAuth (coldsend/oauth/): "google" | "microsoft", the tokens (encrypted), when the access token expires.
    oauth_provider: Mapped[str | None] = mapped_column(String(20))
    oauth_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    oauth_access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    oauth_token_expires_at: Mapped[datetime | None]
