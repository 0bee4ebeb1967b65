import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class LeadList(RecordModel):
    """A container for leads that are not in a campaign."""

    __tablename__ = "lead_list"
    __table_args__ = (Index("ix_lead_list_workspace_id_id", "workspace_id", "id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    name: Mapped[str] = mapped_column(String(500))
    has_enrichment_task: Mapped[bool | None]
    owned_by: Mapped[uuid.UUID | None]
