import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class ApiKey(RecordModel):
    """An API key. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_key"

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]]
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    revoked_at: Mapped[datetime | None]
    # Set when an admin workspace made the key inside this (sub) workspace, directly through x-as-workspace or
    # through another such key: removing that workspace group link revokes it.
    # No foreign key: removing the admin workspace leaves these keys dead (auth finds no link), not blocked.
    admin_workspace_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
