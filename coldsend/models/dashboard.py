"""The dashboard's sign-in state: a person's password hash, their browser sessions and one-time links."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class UserPassword(RecordModel):
    """A person's dashboard password, as an Argon2id hash (one per user)."""

    __tablename__ = "user_password"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))


class DashboardSession(RecordModel):
    """A signed-in browser: the cookie holds a random token, the row its SHA-256 hash.

    `member_workspace_id` is the workspace whose membership signed in (its role applies);
    `workspace_id` the one being worked on: the same, or a sub workspace of its group.
    """

    __tablename__ = "dashboard_session"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    member_workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # What the last action said ("ok" or "error", and the message), shown once by the next page.
    notice_kind: Mapped[str | None] = mapped_column(String(10))
    notice: Mapped[str | None] = mapped_column(Text)


class LinkPurpose(StrEnum):
    SETUP = "setup"  # the first start's owner link: choose the sign-in email and a password
    INVITE = "invite"  # a member invited from the Members page
    RESET = "reset"  # `coldsend user set-password`


class SignInLink(RecordModel):
    """A one-time link to set a password and sign in; the URL holds the token, the row its hash."""

    __tablename__ = "sign_in_link"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
