from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Now, in UTC, truncated to milliseconds: the precision every API timestamp has."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso_z(value: datetime) -> str:
    """`2026-08-13T11:11:58.093Z`: ISO-8601 UTC with milliseconds, as Instantly writes it."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:23] + "Z"


class Clock:
    """Where the engine reads the time: the real clock here; tests substitute `ManualClock`."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock(Clock):
    """A clock that moves only when told: tests run days of sending in seconds."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or utcnow()

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current
