"""The world of bench/scale.py, seeded through PostgreSQL COPY in the shape of the ORM's tables.

N leads over 100 campaigns (sizes 1/rank: a few large, many small) and 50 accounts; each lead in one of
the states not contacted, in progress, completed, replied, bounced or unsubscribed, with its sends and
events (sent, opened, clicked, replied, bounced, unsubscribed) spread over the 90 days before today
(UTC midnight, so nothing counts against today's limits). Columns come from `Model.__table__`: every
column the ORM fills by default is filled here too, so a new column with a default follows along.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Table

from coldsend.models import (
    Account,
    Campaign,
    CampaignStatus,
    Event,
    EventType,
    Lead,
    LeadStatus,
    Send,
    SendState,
)

CAMPAIGNS = 100
ACCOUNTS = 50
ACCOUNTS_PER_CAMPAIGN = 5
STEPS = 6
STEP_DELAY_DAYS = 2
DAYS = 90
CHUNK = 50_000
SEARCH_TERM = "acme"  # in 1 last name of 5: the lead list's search
EVERY_DAY = {str(day): True for day in range(7)}
# (state, share): the spread of lead states
STATES = (
    ("not_contacted", 0.12),
    ("in_progress", 0.34),
    ("completed", 0.30),
    ("replied", 0.16),
    ("bounced", 0.06),
    ("unsubscribed", 0.02),
)
OPEN_RATE = 0.85
CLICK_RATE = 0.30


@dataclass
class World:
    """What the measurements need to know about the seeded world."""

    workspace_id: uuid.UUID
    today: datetime
    campaign_ids: list[uuid.UUID]
    campaign_sizes: list[int]
    account_emails: list[str]
    sent_sends: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (send, lead), a sample
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class Shape:
    """A table's COPY columns: the varying ones, then every other column the ORM fills by default,
    with that default computed once."""

    def __init__(self, table: Table, varying: list[str]) -> None:
        self.table = table
        self.varying = varying
        constants: dict[str, Any] = {}
        for column in table.columns:
            if column.name in varying or column.default is None:
                continue
            default = column.default
            value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
            constants[column.name] = json.dumps(value) if isinstance(value, dict | list) else value
        unknown = set(varying) - set(table.columns.keys())
        if unknown:
            raise SystemExit(f"{table.name} has no column {sorted(unknown)}")
        self.columns = [*varying, *constants]
        self.constants = tuple(constants.values())

    def row(self, *values: Any) -> tuple[Any, ...]:
        return (*values, *self.constants)


def campaign_sizes(leads: int) -> list[int]:
    weights = [1 / rank for rank in range(1, CAMPAIGNS + 1)]
    total = sum(weights)
    sizes = [int(leads * weight / total) for weight in weights]
    sizes[0] += leads - sum(sizes)
    return sizes


def _ids(prefix: int) -> Callable[[], uuid.UUID]:
    """Fast unique UUIDs, increasing (like UUIDv7, ids sort by creation within a table)."""
    counter = iter(range(1, 1 << 62))
    return lambda: uuid.UUID(int=(prefix << 64) | next(counter))


async def _copy(conn: asyncpg.Connection, shape: Shape, rows: list[tuple[Any, ...]]) -> None:
    await conn.copy_records_to_table(shape.table.name, records=rows, columns=shape.columns)


async def _without_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Drop the indexes and unique constraints of `tables` but their primary keys (COPY then
    fills them a row at a time); the DDL, read from the catalog, that makes them again."""
    again = []
    constraints = await conn.fetch(
        "SELECT conrelid::regclass::text AS tab, conname, pg_get_constraintdef(oid) AS def"
        " FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY($1)",
        tables,
    )
    for row in constraints:
        await conn.execute(f'ALTER TABLE {row["tab"]} DROP CONSTRAINT "{row["conname"]}"')
        again.append(f'ALTER TABLE {row["tab"]} ADD CONSTRAINT "{row["conname"]}" {row["def"]}')
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1)"
        " AND schemaname = current_schema() AND indexname NOT LIKE 'pk_%'",
        tables,
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        again.append(row["indexdef"])
    return again


def _campaign_row(
    shape: Shape,
    workspace_id: uuid.UUID,
    index: int,
    campaign_id: uuid.UUID,
    emails: list[str],
    now: datetime,
) -> tuple[Any, ...]:
    schedule = {
        "schedules": [
            {
                "name": "Always",
                "timing": {"from": "00:00", "to": "23:59"},
                "days": EVERY_DAY,
                "timezone": "Africa/Abidjan",
            }
        ]
    }
    body = "Hi {{firstName}}, a word about {{companyName}}."
    steps = [
        {
            "type": "email",
            "delay": STEP_DELAY_DAYS,
            "variants": [{"subject": f"Step {step} A", "body": body}]
            + ([{"subject": f"Step {step} B", "body": body}] if step == 0 else []),
        }
        for step in range(STEPS)
    ]
    return shape.row(
        campaign_id,
        workspace_id,
        f"Campaign {index:03d}",
        int(CampaignStatus.ACTIVE),
        json.dumps(schedule),
        json.dumps([{"steps": steps}]),
        json.dumps(emails),
        0,
        0,
        now - timedelta(days=DAYS + 1),
        now - timedelta(days=DAYS + 1),
    )


async def seed(conn: asyncpg.Connection, leads: int, *, smtp_port: int, password_encrypted: str) -> World:
    """Seed the world into the (migrated, empty but for the workspace) database behind `conn`."""
    rng = random.Random(21)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    workspace_id = await conn.fetchval("SELECT id FROM workspace LIMIT 1")
    started = time.perf_counter()
    await conn.execute("SET session_replication_role = replica")  # no FK triggers while COPYing
    await conn.execute("SET maintenance_work_mem = '512MB'")
    again = await _without_indexes(conn, ["lead", "send", "event"])

    account_shape = Shape(
        Account.__table__,  # type: ignore[arg-type]
        ["id", "workspace_id", "email", "first_name", "last_name", "daily_limit", "sending_gap"]
        + ["smtp_host", "smtp_port", "smtp_username", "smtp_password_encrypted", "smtp_tls"],
    )
    emails = [f"sender{i:02d}@bench{i % 5}.test" for i in range(ACCOUNTS)]
    account_ids = [uuid.uuid4() for _ in emails]
    await _copy(
        conn,
        account_shape,
        [
            account_shape.row(
                account_id,
                workspace_id,
                email,
                "Bench",
                "Sender",
                100_000,
                0,
                "127.0.0.1",
                smtp_port,
                email,
                password_encrypted,
                "cleartext",
            )  # fmt: skip
            for account_id, email in zip(account_ids, emails, strict=True)
        ],
    )
    campaign_shape = Shape(
        Campaign.__table__,  # type: ignore[arg-type]
        ["id", "workspace_id", "name", "status", "campaign_schedule", "sequences", "email_list"]
        + ["email_gap", "random_wait_max", "timestamp_created", "timestamp_updated"],
    )
    sizes = campaign_sizes(leads)
    campaign_ids = [uuid.uuid4() for _ in sizes]
    senders = [
        [emails[(index * ACCOUNTS_PER_CAMPAIGN + k) % ACCOUNTS] for k in range(ACCOUNTS_PER_CAMPAIGN)]
        for index in range(CAMPAIGNS)
    ]
    await _copy(
        conn,
        campaign_shape,
        [
            _campaign_row(campaign_shape, workspace_id, index, campaign_id, senders[index], today)
            for index, campaign_id in enumerate(campaign_ids)
        ],
    )
    account_id_of = dict(zip(emails, account_ids, strict=True))

    lead_shape = Shape(
        Lead.__table__,  # type: ignore[arg-type]
        ["id", "workspace_id", "campaign_id", "email", "first_name", "last_name", "company_name"]
        + ["company_domain", "status", "timestamp_created", "timestamp_updated", "email_open_count"]
        + ["email_reply_count", "email_click_count", "last_step_timestamp_executed"]
        + ["timestamp_last_contact", "timestamp_last_open", "timestamp_last_reply", "timestamp_last_click"]
        + ["timestamp_last_touch", "last_contacted_from"],
    )
    send_shape = Shape(
        Send.__table__,  # type: ignore[arg-type]
        ["id", "workspace_id", "campaign_id", "sequence_id", "lead_id", "step", "variant", "account_id"]
        + ["account_email", "message_id", "state", "due_at", "attempts", "sent_at"]
        + ["timestamp_created", "timestamp_updated"],
    )
    event_shape = Shape(
        Event.__table__,  # type: ignore[arg-type]
        ["id", "workspace_id", "type", "campaign_id", "sequence_id", "lead_id", "step", "variant"]
        + ["account_email", "count", "severity", "timestamp", "timestamp_counted"],
    )
    world = World(workspace_id, today, campaign_ids, sizes, emails)
    shapes = {"lead": lead_shape, "send": send_shape, "event": event_shape}
    counts = {"lead": 0, "send": 0, "event": 0}
    batches = _batches(world, shapes, senders, account_id_of, rng)
    # Generation (Python) in a thread overlaps the previous batch's COPY (PostgreSQL).
    upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
    while (batch := await upcoming) is not None:
        upcoming = asyncio.create_task(asyncio.to_thread(next, batches, None))
        for name, rows in batch.items():
            await _copy(conn, shapes[name], rows)
            counts[name] += len(rows)
    world.seconds["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    for ddl in again:
        await conn.execute(ddl)
    await conn.execute("SET session_replication_role = DEFAULT")
    world.seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute("VACUUM ANALYZE")
    world.seconds["analyze"] = time.perf_counter() - started
    world.rows = counts
    return world


def _batches(
    world: World,
    shapes: dict[str, Shape],
    senders: list[list[str]],
    account_id_of: dict[str, uuid.UUID],
    rng: random.Random,
) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """The leads with their sends and events, in batches of about CHUNK events."""
    lead_shape, send_shape, event_shape = shapes["lead"], shapes["send"], shapes["event"]
    workspace_id, today = world.workspace_id, world.today
    new_lead, new_send, new_event = _ids(1), _ids(2), _ids(3)
    state_names = [name for name, _ in STATES]
    state_weights = [share for _, share in STATES]
    span = DAYS * 86400
    lead_rows: list[tuple[Any, ...]] = []
    send_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    number = 0
    for index, (campaign_id, size) in enumerate(zip(world.campaign_ids, world.campaign_sizes, strict=True)):
        own = senders[index]
        states = rng.choices(state_names, state_weights, k=size)
        for state in states:
            number += 1
            lead_id = new_lead()
            created = today - timedelta(seconds=span * (1 - rng.random() * 0.9))
            contacted_steps = _steps_sent(state, rng)
            account_email = own[number % len(own)]
            account_id = account_id_of[account_email]
            opens = clicks = replies = 0
            sent_at = last_open = last_click = last_reply = None
            at = created + timedelta(hours=1 + rng.random() * 12)
            for step in range(contacted_steps):
                if step:
                    at += timedelta(days=STEP_DELAY_DAYS, hours=rng.random() * 6)
                if at >= today:
                    break
                sent_at = at
                send_id = new_send()
                variant = number % 2 if step == 0 else 0
                send_rows.append(
                    send_shape.row(
                        send_id, workspace_id, campaign_id, campaign_id, lead_id, step, variant,
                        account_id, account_email, f"<{send_id.hex}@bench.test>", SendState.SENT,
                        at, 1, at, at, at,
                    )
                )  # fmt: skip
                if len(world.sent_sends) < 20_000 and rng.random() < 0.05:
                    world.sent_sends.append((send_id, lead_id))
                base = (workspace_id, campaign_id, campaign_id, lead_id, step, variant, account_email)
                event_rows.append(_event(event_shape, new_event(), EventType.SENT, base, 1, None, at, None))
                if rng.random() < OPEN_RATE:
                    opens += 1
                    last_open = at + timedelta(minutes=5 + rng.random() * 600)
                    count = 1 + int(rng.random() * 3)
                    event_rows.append(
                        _event(
                            event_shape,
                            new_event(),
                            EventType.OPENED,
                            base,
                            count,
                            None,
                            last_open,
                            last_open,
                        )
                    )
                    if rng.random() < CLICK_RATE:
                        clicks += 1
                        last_click = last_open + timedelta(seconds=30)
                        event_rows.append(
                            _event(
                                event_shape, new_event(), EventType.CLICKED, base, 1, None, last_click,
                                last_click,
                            )
                        )  # fmt: skip
            if sent_at is not None:
                end = _last_event(state, rng)
                if end is not None:
                    kind, severity = end
                    when = sent_at + timedelta(hours=2)
                    if kind == EventType.REPLIED:
                        replies, last_reply = 1, when
                    event_rows.append(_event(event_shape, new_event(), kind, base, 1, severity, when, None))
            status = _status(state, sent_at is not None, contacted_steps)
            lead_rows.append(
                lead_shape.row(
                    lead_id, workspace_id, campaign_id, f"lead{number}@company{number % 20_000}.com",
                    f"First{number}", "Acme" if number % 5 == 0 else f"Last{number}",
                    f"Company {number % 20_000}", f"company{number % 20_000}.com", status,
                    created, sent_at or created, opens, replies, clicks, sent_at, sent_at,
                    last_open, last_reply, last_click, sent_at,
                    account_email if sent_at else None,
                )
            )  # fmt: skip
            if len(event_rows) >= CHUNK:
                yield {"lead": lead_rows, "send": send_rows, "event": event_rows}
                lead_rows, send_rows, event_rows = [], [], []
    yield {"lead": lead_rows, "send": send_rows, "event": event_rows}


def _steps_sent(state: str, rng: random.Random) -> int:
    if state == "not_contacted":
        return 0
    if state == "in_progress":
        return rng.randint(1, STEPS - 1)
    if state == "completed":
        return STEPS
    if state == "replied":
        return rng.randint(1, STEPS)
    if state == "bounced":
        return 1
    return rng.randint(1, 3)


def _last_event(state: str, rng: random.Random) -> tuple[str, str | None] | None:
    if state == "replied":
        return EventType.REPLIED, None
    if state == "bounced":
        return EventType.BOUNCED, "hard"
    if state == "unsubscribed":
        return EventType.UNSUBSCRIBED, None
    if state == "completed" and rng.random() < 0.02:
        return EventType.AUTO_REPLIED, None
    return None


def _status(state: str, contacted: bool, steps: int) -> int:
    if not contacted:
        return int(LeadStatus.ACTIVE)
    if state == "bounced":
        return int(LeadStatus.BOUNCED)
    if state == "unsubscribed":
        return int(LeadStatus.UNSUBSCRIBED)
    if state in ("completed", "replied") or steps >= STEPS:
        return int(LeadStatus.COMPLETED)
    return int(LeadStatus.ACTIVE)


def _event(
    shape: Shape,
    event_id: uuid.UUID,
    kind: str,
    base: tuple[Any, ...],
    count: int,
    severity: str | None,
    at: datetime,
    counted: datetime | None,
) -> tuple[Any, ...]:
    workspace_id, campaign_id, sequence_id, lead_id, step, variant, account_email = base
    return shape.row(
        event_id, workspace_id, kind, campaign_id, sequence_id, lead_id, step, variant, account_email,
        count, severity, at, counted,
    )  # fmt: skip


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
