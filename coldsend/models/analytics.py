"""Analytics rollups: counters kept by database triggers on `event` and `lead`, so that analytics read a
few thousand rows instead of counting millions (coldsend/analytics/rollups.py writes the triggers).

A day is a UTC calendar day. `kind` is an event type, or one of the kinds derived from one
(`bounced_hard`, `bounced_soft`, `new`: a campaign's first step sent). No foreign keys: the triggers
bring a deleted campaign's rows to zero while its events cascade away, in whatever order that happens.
"""

import uuid
from datetime import date

from sqlalchemy import BigInteger, Date, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from coldsend.db.base import Base

# The lead tally's stand-ins for "none" (key columns must not be NULL for ON CONFLICT to match).
NO_INTEREST = -32768
NO_DAY = date(1, 1, 1)
NO_STEP = -1

# A key's rows (coldsend/analytics/rollup_sql.py, STRIPES), which readers add up; a day rollup's writers
# count into stripes above SETTLED, which the fold (coldsend/analytics/folding.py) settles into it once
# the day is past.
SETTLED = 0
STRIPED = text(f"stripe <> {SETTLED}")


def _stripe() -> Mapped[int]:
    return mapped_column(SmallInteger, primary_key=True, default=SETTLED, server_default=str(SETTLED))


def _striped_days(table: str) -> Index:
    """The rows the fold settles: few, today's."""
    return Index(f"ix_{table}_striped_day", "day", postgresql_where=STRIPED, sqlite_where=STRIPED)


class AnalyticsDay(Base):
    """Per sequence, kind and day: event rows and their counts (`total`), distinct leads that day, and
    `firsts`: leads whose first day of that kind in the sequence this was."""

    __tablename__ = "analytics_day"
    __table_args__ = (
        Index("ix_analytics_day_campaign_id_day", "campaign_id", "day"),
        _striped_days("analytics_day"),
    )

    sequence_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stripe: Mapped[int] = _stripe()
    workspace_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None]
    subsequence_id: Mapped[uuid.UUID | None]
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    leads: Mapped[int] = mapped_column(BigInteger, default=0)
    firsts: Mapped[int] = mapped_column(BigInteger, default=0)


class AnalyticsSpan(Base):
    """Leads whose day `day` of a kind in a sequence came after an earlier one, `prev_day` (their latest
    before it): a range starting at s counts, besides the firsts in it, the spans with prev_day < s."""

    __tablename__ = "analytics_span"
    __table_args__ = (
        Index("ix_analytics_span_campaign_id_day", "campaign_id", "day"),
        _striped_days("analytics_span"),
    )

    sequence_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    prev_day: Mapped[date] = mapped_column(Date, primary_key=True)
    stripe: Mapped[int] = _stripe()
    workspace_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None]
    subsequence_id: Mapped[uuid.UUID | None]
    leads: Mapped[int] = mapped_column(BigInteger, default=0)


class AnalyticsStepDay(Base):
    """Per sequence, step, variant, kind and day: event rows and their counts."""

    __tablename__ = "analytics_step_day"
    __table_args__ = (
        Index("ix_analytics_step_day_campaign_id_day", "campaign_id", "day"),
        _striped_days("analytics_step_day"),
    )

    sequence_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    variant: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stripe: Mapped[int] = _stripe()
    workspace_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None]
    subsequence_id: Mapped[uuid.UUID | None]
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)


class AnalyticsAccountDay(Base):
    """Per sending account, kind and day (every sequence of the workspace): rows, counts, distinct leads."""

    __tablename__ = "analytics_account_day"
    __table_args__ = (_striped_days("analytics_account_day"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_email: Mapped[str] = mapped_column(String(320), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stripe: Mapped[int] = _stripe()
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    leads: Mapped[int] = mapped_column(BigInteger, default=0)


class AnalyticsLeadTally(Base):
    """How many of a campaign's leads have this status, interest, day of the last interest change and
    replied step and variant (NO_* when unset)."""

    __tablename__ = "analytics_lead_tally"

    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[int] = mapped_column(primary_key=True)
    interest: Mapped[int] = mapped_column(primary_key=True)
    change_day: Mapped[date] = mapped_column(Date, primary_key=True)
    replied_step: Mapped[int] = mapped_column(primary_key=True)
    replied_variant: Mapped[int] = mapped_column(primary_key=True)
    stripe: Mapped[int] = _stripe()  # the lead's
    workspace_id: Mapped[uuid.UUID]
    leads: Mapped[int] = mapped_column(BigInteger, default=0)
