from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, truncated to milliseconds: the precision every API timestamp has."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso_z(value: datetime) -> str:
    """`2026-08-13T11:11:58.093Z`: ISO-8601 UTC with milliseconds, as Instantly writes it."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:23] + "Z"
