from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import RecordModel


class User(RecordModel):
    """A person who owns or is a member of workspaces."""

    __tablename__ = "user"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
