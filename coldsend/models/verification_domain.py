from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import Base


class VerificationDomain(Base):
    """What probes learnt about a mail domain, shared by every workspace: is it catch-all, and since when."""

    __tablename__ = "verification_domain"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    catch_all: Mapped[bool]
    checked_at: Mapped[datetime]
