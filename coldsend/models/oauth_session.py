import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.clock import utcnow
from coldsend.db.base import Base


class OAuthSessionStatus(StrEnum):
    PENDING = "pending"
    COMPLETING = "completing"  # the callback claimed it and is redeeming the code (shown as pending)
    SUCCESS = "success"
    ERROR = "error"


class OAuthSession(Base):
    """One mailbox connection through OAuth: started by `POST /oauth/{provider}/init`, finished by the
    provider's redirect to the callback (which must bring the state's secret, and the code that the PKCE
    verifier redeems), polled by `GET /oauth/session/status/{id}`. Usable once; lives 10 minutes."""

    __tablename__ = "oauth_session"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    state_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the state's secret half
    code_verifier_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=OAuthSessionStatus.PENDING)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(100))
    error_description: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[uuid.UUID | None]
    # Who started it, for the audit row written when the account is created or reconnected.
    api_key_id: Mapped[uuid.UUID | None]
    key_workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str | None] = mapped_column(String(1000))
    timestamp_created: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
