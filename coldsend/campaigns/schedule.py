"""When a campaign's schedule lets it send: windows of `HH:MM` on days "0" (Sunday) to "6", in a timezone."""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coldsend.clock import utcnow


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def window_open(entry: dict[str, Any], local: datetime) -> bool:
    """Whether `local` (in the entry's timezone) falls in the entry's window; `to` before `from`
    is a window across midnight, and a window whose ends are equal never opens."""
    start, end = _clock(entry["timing"]["from"]), _clock(entry["timing"]["to"])
    now = local.time().replace(second=0, microsecond=0)
    day = local.isoweekday() % 7
    if start < end:
        return bool(entry["days"].get(str(day))) and start <= now < end
    if start > end:
        if now >= start:
            return bool(entry["days"].get(str(day)))
        if now < end:
            return bool(entry["days"].get(str((day - 1) % 7)))
    return False


def can_ever_send(campaign_schedule: dict[str, Any]) -> bool:
    """At least one schedule has a day on and a non-empty window."""
    return any(
        any(entry["days"].values()) and entry["timing"]["from"] != entry["timing"]["to"]
        for entry in campaign_schedule.get("schedules") or []
    )


def local_today(campaign_schedule: dict[str, Any], now: datetime | None = None) -> date:
    """Today in the campaign's timezone (the first schedule's), the day start/end dates compare to."""
    schedules = campaign_schedule.get("schedules") or []
    name = schedules[0]["timezone"] if schedules else "UTC"
    return (now or utcnow()).astimezone(zone(name)).date()


def _dates(campaign_schedule: dict[str, Any]) -> tuple[date | None, date | None]:
    start, end = campaign_schedule.get("start_date"), campaign_schedule.get("end_date")
    return (date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)


def ended(campaign_schedule: dict[str, Any], now: datetime | None = None) -> bool:
    _start, end = _dates(campaign_schedule)
    return end is not None and local_today(campaign_schedule, now) > end


def in_schedule(campaign_schedule: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether the campaign may send at `now`: within its dates and inside one of its windows."""
    now = now or utcnow()
    start, end = _dates(campaign_schedule)
    today = local_today(campaign_schedule, now)
    if (start and today < start) or (end and today > end):
        return False
    return any(
        window_open(entry, now.astimezone(zone(entry["timezone"])))
        for entry in campaign_schedule.get("schedules") or []
    )
