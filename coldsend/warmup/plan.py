"""The pure rules of a warmup day: an account's options from the spec's `warmup` object, its volume on the
ramp, when the day's messages go out, who each one goes to, and the per-message dice.

Ramp: `increment` "disabled" (or unset) sends `limit` from the first day; a number N starts at
`warmup_ramp_start` and adds N a day until `limit` ("0" stays at the start). The day counter only moves
on days that were planned, so pauses, restarts and weekends neither reset nor skip it. A strike (a bounce
of warmup mail, or warmup mail the user marked as spam) gives `STRIKE_SLOW_DAYS` slow days: half the
volume, and no growth.
"""

import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from coldsend.config import Settings

STRIKE_SLOW_DAYS = 2
SATURDAY = 5
# Defaults of the rates the spec leaves optional: every message read, a third answered, none starred,
# every spam copy rescued.
DEFAULT_OPEN_RATE = 1.0
DEFAULT_REPLY_RATE = 0.3
DEFAULT_IMPORTANT_RATE = 0.0
DEFAULT_SPAM_SAVE_RATE = 1.0
ROUND_MINUTES = 5  # no message is due on a minute that is a multiple of this, at second 0


@dataclass(frozen=True, slots=True)
class Options:
    """An account's warmup settings, with the defaults filled in."""

    limit: int
    increment: int | None  # None: disabled (full limit from day one)
    reply_rate: float
    open_rate: float
    important_rate: float
    spam_save_rate: float
    read_emulation: bool
    weekday_only: bool
    tag: str | None

    @classmethod
    def of(cls, warmup: dict[str, Any] | None, settings: Settings) -> "Options":
        warmup = warmup or {}
        advanced = warmup.get("advanced") or {}
        increment = warmup.get("increment")

        def rate(source: dict[str, Any], name: str, default: float) -> float:
            value = source.get(name)
            return default if value is None else min(1.0, max(0.0, float(value)))

        limit = warmup.get("limit")
        return cls(
            limit=int(limit) if limit else settings.warmup_default_limit,
            increment=None if increment in (None, "disabled") else int(increment),
            reply_rate=rate(warmup, "reply_rate", DEFAULT_REPLY_RATE),
            open_rate=rate(advanced, "open_rate", DEFAULT_OPEN_RATE),
            important_rate=rate(advanced, "important_rate", DEFAULT_IMPORTANT_RATE),
            spam_save_rate=rate(advanced, "spam_save_rate", DEFAULT_SPAM_SAVE_RATE),
            read_emulation=bool(advanced.get("read_emulation")),
            weekday_only=bool(advanced.get("weekday_only")),
            tag=warmup.get("warmup_custom_ftag") or None,
        )


def sends_on(day: date, options: Options) -> bool:
    return not (options.weekday_only and day.weekday() >= SATURDAY)


def ramp_volume(options: Options, day_number: int, settings: Settings) -> int:
    """The volume of the `day_number`-th warmup day (1 = the first)."""
    if options.increment is None:
        return options.limit
    return min(options.limit, settings.warmup_ramp_start + options.increment * max(0, day_number - 1))


def day_volume(
    options: Options,
    day_number: int,
    settings: Settings,
    *,
    slow: bool,
    in_campaign: bool,
    campaign_today: int,
) -> int:
    """The day's volume: the ramp's, halved while slowed, small while a campaign runs, and never past
    what the account's ceiling leaves after its campaign mail."""
    volume = ramp_volume(options, day_number, settings)
    if slow:
        volume = max(1, volume // 2)
    if in_campaign:
        volume = min(volume, settings.warmup_campaign_volume)
    return max(0, min(volume, settings.account_daily_ceiling - campaign_today))


def off_the_mark(moment: datetime, rng: random.Random) -> datetime:
    """`moment` (whole seconds), moved on by a few minutes while it is on a round clock mark."""
    moment = moment.replace(microsecond=0)
    while moment.second == 0 or moment.minute % ROUND_MINUTES == 0:
        moment += timedelta(minutes=rng.randint(1, ROUND_MINUTES - 1), seconds=rng.randint(1, 59))
    return moment


def due_times(day: date, count: int, now: datetime, settings: Settings, rng: random.Random) -> list[datetime]:
    """`count` moments spread over the rest of the day's window (one in each equal part, placed at
    random in it), none on a round clock mark. Planned after the window closed: over the next hour."""
    if count <= 0:
        return []
    start = datetime.combine(day, time(settings.warmup_day_start_hour), UTC)
    end = datetime.combine(day, time(), UTC) + timedelta(hours=settings.warmup_day_end_hour)
    begin = max(start, now)
    if begin >= end - timedelta(minutes=10):
        end = begin + timedelta(hours=1)
    part = (end - begin) / count
    times = [off_the_mark(begin + part * index + part * rng.uniform(0.1, 0.9), rng) for index in range(count)]
    return sorted(times)


@dataclass(frozen=True, slots=True)
class Member:
    """A mailbox of the pool, as pairing sees it."""

    id: uuid.UUID
    email: str
    domain: str
    provider: str


def partners(
    sender: Member,
    members: Sequence[Member],
    count: int,
    last_met: dict[uuid.UUID, datetime],
    rng: random.Random,
) -> list[Member]:
    """`count` recipients for `sender`'s day: never on its own domain, another provider first, then the
    partner met longest ago; in rotation, so a pair meets again only after every other eligible one."""
    eligible = [member for member in members if member.id != sender.id and member.domain != sender.domain]
    if not eligible or count <= 0:
        return []
    never = datetime.min.replace(tzinfo=UTC)
    order = sorted(
        eligible,
        key=lambda member: (
            member.provider == sender.provider,
            last_met.get(member.id, never),
            rng.random(),
        ),
    )
    return [order[index % len(order)] for index in range(count)]


def chance(message_row: uuid.UUID, purpose: str) -> float:
    """A number in [0, 1) fixed for a message and a purpose ("read", "reply", ...): a message that is
    looked at again gets the same answer."""
    digest = hashlib.sha256(message_row.bytes + purpose.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def seeded(message_row: uuid.UUID) -> random.Random:
    return random.Random(message_row.int)
