import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import Base


class InboxCursor(Base):
    """How far the inbox loop has read one account's INBOX.

    Messages with a UID up to `last_uid` under `uid_validity` have been handled (no `uid_validity` yet:
    never read). `checked_at` is stamped when a worker claims the mailbox for a poll, so workers share
    the mailboxes and each is polled once an interval; `polled_at` is when a poll last finished.
    """

    __tablename__ = "inbox_cursor"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    uid_validity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    checked_at: Mapped[datetime | None] = mapped_column(index=True)
    polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
