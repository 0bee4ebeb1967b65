import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class Workspace(RecordModel):
    __tablename__ = "workspace"

    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id"))
    scheduled_for_removal_at: Mapped[datetime | None]
    plan_id: Mapped[str | None] = mapped_column(String(100))
    add_unsub_to_block: Mapped[bool | None]
    default_opportunity_value: Mapped[float | None]
    org_logo_url: Mapped[str | None] = mapped_column(String(2048))
    org_client_domain: Mapped[str | None] = mapped_column(String(253))
    whitelabel_verification_token: Mapped[str | None] = mapped_column(String(64))
