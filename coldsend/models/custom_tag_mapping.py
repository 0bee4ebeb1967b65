import uuid
from enum import IntEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class ResourceType(IntEnum):
    """What a tag is on. The spec's field text says the opposite; its enum table (followed here) says this."""

    ACCOUNT = 1
    CAMPAIGN = 2


class CustomTagMapping(RecordModel):
    """A tag on an account (resource_type 1) or a campaign (2).

    `resource_id` holds the resource's public key as its module resolves it (a campaign's UUID, an
    account's id or email): it is polymorphic, so no foreign key; the resource's delete calls
    `custom_tag_mappings.service.forget_resource` instead.
    """

    __tablename__ = "custom_tag_mapping"
    __table_args__ = (
        UniqueConstraint("tag_id", "resource_type", "resource_id"),
        Index("ix_custom_tag_mapping_workspace_id_resource_id", "workspace_id", "resource_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspace.id"))
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("custom_tag.id", ondelete="CASCADE"))
    resource_type: Mapped[int]
    resource_id: Mapped[str] = mapped_column(String(320))
