import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class BlockListEntry(RecordModel):
    """A blocked email address or domain; `bl_value` is stored normalised, so equal values collide."""

    __tablename__ = "block_list_entry"
    __table_args__ = (UniqueConstraint("workspace_id", "bl_value"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    bl_value: Mapped[str] = mapped_column(String(320))
    is_domain: Mapped[bool]
