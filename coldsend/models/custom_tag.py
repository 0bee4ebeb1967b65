import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class CustomTag(RecordModel):
    __tablename__ = "custom_tag"
    __table_args__ = (UniqueConstraint("workspace_id", "label_key"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    # The label as uniqueness sees it (trimmed, case-folded): two tags may not share it.
    label_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
