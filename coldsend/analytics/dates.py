"""The analytics date filters: `YYYY-MM-DD` or an ISO 8601 timestamp, always in UTC.

A date-only `end_date` covers that whole UTC day (a range from `2026-04-07` to `2026-04-07` is that
day, not an empty instant); a timestamp `end_date` is included up to that instant.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from coldsend.errors import BadRequest

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ORDER_MESSAGE = "Start Date must be earlier than End Date"
# Far enough from datetime's limits that a day or a time zone added to a date never overflows.
YEARS = range(1900, 9000)


@dataclass(frozen=True, slots=True)
class Instants:
    """`start <= t < end`; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Days:
    """Whole UTC days, both ends included."""

    start: date | None = None
    end: date | None = None

    def instants(self) -> Instants:
        return Instants(
            start=midnight(self.start) if self.start else None,
            end=midnight(self.end + timedelta(days=1)) if self.end else None,
        )


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def in_utc(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _parse(name: str, raw: str) -> date | datetime:
    value = raw.strip()
    try:
        parsed = date.fromisoformat(value) if _DATE_ONLY.match(value) else datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"querystring/{name} must be a date (YYYY-MM-DD) or an ISO 8601 timestamp") from None
    if parsed.year not in YEARS:
        raise BadRequest(f"querystring/{name} must be between the years {YEARS.start} and {YEARS.stop - 1}")
    return in_utc(parsed) if isinstance(parsed, datetime) else parsed


def parse_timestamp(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 timestamp (or a date: its UTC midnight), in UTC."""
    if raw is None:
        return None
    value = _parse(name, raw)
    return value if isinstance(value, datetime) else midnight(value)


def parse_day(name: str, raw: str | None) -> date | None:
    """The UTC calendar date of a date or timestamp."""
    if raw is None:
        return None
    value = _parse(name, raw)
    return value.date() if isinstance(value, datetime) else value


def instants(
    start_date: str | None, end_date: str | None, *, names: tuple[str, str] = ("start_date", "end_date")
) -> Instants:
    """The window from `start_date` to `end_date`, both included (a date: that whole UTC day); `names` are
    the query parameters' names, for the messages."""
    start = _parse(names[0], start_date) if start_date is not None else None
    end = _parse(names[1], end_date) if end_date is not None else None
    start_at = midnight(start) if type(start) is date else start
    if type(end) is date:
        end_at: datetime | None = midnight(end + timedelta(days=1))
    else:
        end_at = end + timedelta(microseconds=1) if isinstance(end, datetime) else None
    assert start_at is None or isinstance(start_at, datetime)
    if start_at is not None and end_at is not None and start_at >= end_at:
        raise BadRequest(ORDER_MESSAGE)
    return Instants(start=start_at, end=end_at)


def days(start_date: str | None, end_date: str | None) -> Days:
    start, end = parse_day("start_date", start_date), parse_day("end_date", end_date)
    if start is not None and end is not None and start > end:
        raise BadRequest(ORDER_MESSAGE)
    return Days(start=start, end=end)
