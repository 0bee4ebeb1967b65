import uuid

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class WorkspaceMember(RecordModel):
    __tablename__ = "workspace_member"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id"))
    email: Mapped[str] = mapped_column(String(320))
    user_email: Mapped[str | None] = mapped_column(String(320))
    nickname: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    accepted: Mapped[bool] = mapped_column(default=False)
    issuer_id: Mapped[uuid.UUID | None]
    permissions: Mapped[list[str] | None] = mapped_column(JSON)
