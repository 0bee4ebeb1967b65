"""When an automated test runs next: on the schedule's days ("0" Sunday to "6"), at `timing.from`, in its
timezone."""

from datetime import datetime, time, timedelta
from typing import Any

from coldsend.campaigns.schedule import zone

DAYS_AHEAD = 8


def can_run(schedule: dict[str, Any] | None) -> bool:
    return bool(schedule) and any((schedule or {}).get("days", {}).values())


def next_run(schedule: dict[str, Any] | None, after: datetime) -> datetime | None:
    """The first run strictly after `after`; None when no day is on."""
    if schedule is None or not can_run(schedule):
        return None
    tz = zone(schedule["timezone"])
    hours, minutes = (int(part) for part in schedule["timing"]["from"].split(":"))
    local = after.astimezone(tz)
    for ahead in range(DAYS_AHEAD):
        day = local.date() + timedelta(days=ahead)
        if not schedule["days"].get(str(day.isoweekday() % 7)):
            continue
        moment = datetime.combine(day, time(hours, minutes), tz)
        if moment > local:
            return moment.astimezone(after.tzinfo)
    return None
