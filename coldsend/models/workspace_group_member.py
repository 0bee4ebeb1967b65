import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class GroupMemberStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class WorkspaceGroupMember(RecordModel):
    """An admin (agency) workspace's link to a sub workspace; the admin workspace owns the row."""

    __tablename__ = "workspace_group_member"

    admin_workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    sub_workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
