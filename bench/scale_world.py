"""The world of bench/scale.py, in the shape of the ORM's tables.

N leads over 100 campaigns (sizes 1/rank: a few large, many small) and 50 accounts; each lead in one of
the states not contacted, in progress, completed, replied, bounced or unsubscribed, with its sends and
events (sent, opened, clicked, replied, bounced, unsubscribed) spread over the 90 days before today
(UTC midnight, so nothing counts against today's limits). Columns come from `Model.__table__`: every
column the ORM fills by default is filled here too, so a new column with a default follows along.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import scale_sql
from sqlalchemy import Table

from coldsend.models import (
    Account,
    Campaign,
    CampaignStatus,
)

CAMPAIGNS = 100
ACCOUNTS = 50
ACCOUNTS_PER_CAMPAIGN = 5
STEPS = 6
STEP_DELAY_DAYS = 2
DAYS = 90
SAMPLE = 20_000  # sent sends the tracking figures use
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

    world = World(workspace_id, today, campaign_ids, sizes, emails)
    world.rows = await scale_sql.generate(
        conn,
        workspace_id=workspace_id,
        today=today,
        campaign_ids=campaign_ids,
        sizes=sizes,
        senders=senders,
        account_ids=account_id_of,
        states=STATES,
        steps=STEPS,
        days=DAYS,
        rates=(OPEN_RATE, CLICK_RATE),
    )
    world.seconds["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    for ddl in again:
        await conn.execute(ddl)
    await conn.execute("SET session_replication_role = DEFAULT")
    world.seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    await conn.execute("VACUUM ANALYZE")
    world.seconds["analyze"] = time.perf_counter() - started
    world.sent_sends = await scale_sql.sample_sends(conn, SAMPLE)
    return world
