import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class BlockListEntry(RecordModel):
    """A blocked email address or domain; `bl_value` is stored normalised, so equal values collide.

    The unique (workspace_id, bl_value) index answers "is this blocked?"; (workspace_id, id) serves
    the id-ordered pages of the list and the CSV download.
    """

    __tablename__ = "block_list_entry"
    __table_args__ = (
        UniqueConstraint("workspace_id", "bl_value"),
        Index("ix_block_list_entry_workspace_id_id", "workspace_id", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    bl_value: Mapped[str] = mapped_column(String(320))
    is_domain: Mapped[bool]
