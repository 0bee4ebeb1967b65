"""The leads, sends and events of bench/scale.py's world, generated inside PostgreSQL.

COPY from Python spent most of its time building rows in Python: on a loaded 2-vCPU machine it came to
well over an hour at 1M leads. Here a plan per lead (state, steps sent, opens, clicks) goes into temporary
tables by INSERT ... SELECT, then each table's rows come out of it; the columns are still those of
`Model.__table__`, every column the ORM fills by default filled with that default.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql

from coldsend.campaigns.sequences import step_id
from coldsend.models import Event, EventType, Lead, LeadStatus, Send, SendState

STEP_SECONDS = 2 * 86400
JITTER_SECONDS = 6 * 3600


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def _defaults(table: Table, varying: list[str]) -> tuple[list[str], list[str]]:
    """The columns the ORM fills by default that `varying` leaves out, and their values as SQL."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    names, values = [], []
    for column in table.columns:
        if column.name in varying or column.default is None:
            continue
        default = column.default
        value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
        if isinstance(value, dict | list):
            value = "{}" if isinstance(value, dict) else "[]"
        names.append(column.name)
        values.append(f"CAST({_literal(value)} AS {column.type.compile(dialect=dialect)})")
    return names, values


async def _insert(conn: asyncpg.Connection, table: Table, columns: dict[str, str], source: str) -> int:
    names, values = _defaults(table, list(columns))
    sql = (
        f"INSERT INTO {table.name} ({', '.join([*columns, *names])})"
        f" SELECT {', '.join([*columns.values(), *values])} {source}"
    )
    status = await conn.execute(sql)
    return int(status.rsplit(" ", 1)[-1])


def _id(prefix: int, number: str) -> str:
    """Increasing UUIDs from a number (like UUIDv7, ids sort by creation within a table)."""
    return f"(lpad(to_hex({prefix}), 16, '0') || lpad(to_hex({number}), 16, '0'))::uuid"


async def generate(
    conn: asyncpg.Connection,
    *,
    workspace_id: uuid.UUID,
    today: datetime,
    campaign_ids: list[uuid.UUID],
    sizes: list[int],
    senders: list[list[str]],
    account_ids: dict[str, uuid.UUID],
    states: tuple[tuple[str, float], ...],
    steps: int,
    days: int,
    rates: tuple[float, float],
) -> dict[str, int]:
    """Insert the leads, their sends and events; the rows written per table."""
    open_rate, click_rate = rates
    await conn.execute("SELECT setseed(0.21)")
    bounds, low = [], 1
    for campaign_id, size, own in zip(campaign_ids, sizes, senders, strict=True):
        bounds.append((campaign_id, low, low + size - 1, own))
        low += size
    await conn.execute(
        "CREATE TEMP TABLE bench_campaign"
        " (id uuid, lo bigint, hi bigint, senders text[], sender_ids uuid[], step_ids uuid[])"
    )
    await conn.executemany(
        "INSERT INTO bench_campaign VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (cid, lo, hi, own, [account_ids[email] for email in own], [step_id(cid, k) for k in range(steps)])
            for cid, lo, hi, own in bounds
        ],
    )
    cuts, total = [], 0.0
    for name, share in states:
        total += share
        cuts.append(f"WHEN r < {total} THEN '{name}'")
    step_plan = (
        "CASE state WHEN 'not_contacted' THEN 0"
        f" WHEN 'in_progress' THEN 1 + floor(random() * {steps - 1})::int"
        f" WHEN 'completed' THEN {steps} WHEN 'replied' THEN 1 + floor(random() * {steps})::int"
        " WHEN 'bounced' THEN 1 ELSE 1 + floor(random() * 3)::int END"
    )
    span = days * 86400
    await conn.execute(
        f"""
        CREATE TEMP TABLE bench_plan AS
        SELECT n, {_id(1, "n")} AS lead_id, c.id AS campaign_id,
               c.senders[1 + n % array_length(c.senders, 1)] AS account_email,
               c.sender_ids[1 + n % array_length(c.sender_ids, 1)] AS account_id,
               state, created, created + make_interval(secs => 3600 + random() * 43200) AS first, planned
        FROM (
            SELECT n, CASE {" ".join(cuts)} ELSE '{states[-1][0]}' END AS state,
                   $1::timestamptz - make_interval(secs => {span} * (1 - random() * 0.9)) AS created
            FROM (SELECT n, random() AS r FROM generate_series(1, $2::bigint) n) drawn
        ) s
        JOIN bench_campaign c ON s.n BETWEEN c.lo AND c.hi
        CROSS JOIN LATERAL (SELECT {step_plan} AS planned) p
        """,
        today,
        sum(sizes),
    )
    await conn.execute(
        f"""
        CREATE TEMP TABLE bench_step AS
        SELECT p.n, p.lead_id, p.campaign_id, p.account_email, p.account_id, k AS step, at,
               {_id(2, "p.n * 16 + k")} AS send_id,
               o AS opened, o AND random() < {click_rate} AS clicked,
               at + make_interval(secs => 300 + random() * 36000) AS open_at,
               1 + floor(random() * 3)::int AS opens
        FROM bench_plan p
        CROSS JOIN LATERAL generate_series(0, p.planned - 1) k
        CROSS JOIN LATERAL (
            SELECT p.first
                   + make_interval(secs => k * {STEP_SECONDS} + (p.n * 7919 + k * 104729) % {JITTER_SECONDS})
                   AS at,
                   random() < {open_rate} AS o
        ) t
        WHERE at < $1::timestamptz
        """,
        today,
    )
    await conn.execute(
        """
        CREATE TEMP TABLE bench_lead AS
        SELECT p.*, coalesce(a.sent, 0) AS sent, a.last_sent, coalesce(a.opened, 0) AS opened,
               coalesce(a.clicked, 0) AS clicked, a.last_open, a.last_click
        FROM bench_plan p LEFT JOIN (
            SELECT n, count(*) AS sent, max(at) AS last_sent, count(*) FILTER (WHERE opened) AS opened,
                   count(*) FILTER (WHERE clicked) AS clicked,
                   max(open_at) FILTER (WHERE opened) AS last_open,
                   max(open_at + interval '30 seconds') FILTER (WHERE clicked) AS last_click
            FROM bench_step GROUP BY n
        ) a USING (n)
        """
    )
    return await _rows(conn, workspace_id, steps)


async def _rows(conn: asyncpg.Connection, workspace_id: uuid.UUID, steps: int) -> dict[str, int]:
    ws = f"'{workspace_id}'::uuid"
    status = (
        f"CASE WHEN sent = 0 THEN {int(LeadStatus.ACTIVE)}"
        f" WHEN state = 'bounced' THEN {int(LeadStatus.BOUNCED)}"
        f" WHEN state = 'unsubscribed' THEN {int(LeadStatus.UNSUBSCRIBED)}"
        f" WHEN state IN ('completed', 'replied') OR sent >= {steps} THEN {int(LeadStatus.COMPLETED)}"
        f" ELSE {int(LeadStatus.ACTIVE)} END"
    )
    replied = "(state = 'replied' AND sent > 0)"
    counts = {}
    counts["lead"] = await _insert(
        conn,
        Lead.__table__,  # type: ignore[arg-type]
        {
            "id": "lead_id",
            "workspace_id": ws,
            "campaign_id": "campaign_id",
            "email": "'lead' || n || '@company' || n % 20000 || '.com'",
            "first_name": "'First' || n",
            "last_name": "CASE WHEN n % 5 = 0 THEN 'Acme' ELSE 'Last' || n END",
            "company_name": "'Company ' || n % 20000",
            "company_domain": "'company' || n % 20000 || '.com'",
            "status": status,
            "timestamp_created": "created",
            "timestamp_updated": "coalesce(last_sent, created)",
            "email_open_count": "opened",
            "email_reply_count": f"CASE WHEN {replied} THEN 1 ELSE 0 END",
            "email_click_count": "clicked",
            "last_step_id": "(SELECT step_ids[sent] FROM bench_campaign WHERE id = bench_lead.campaign_id)",
            "last_step_timestamp_executed": "last_sent",
            "timestamp_last_contact": "last_sent",
            "timestamp_last_open": "last_open",
            "timestamp_last_reply": f"CASE WHEN {replied} THEN last_sent + interval '2 hours' END",
            "timestamp_last_click": "last_click",
            "timestamp_last_touch": "last_sent",
            "last_contacted_from": "CASE WHEN sent > 0 THEN account_email END",
        },
        "FROM bench_lead ORDER BY n",
    )
    counts["send"] = await _insert(
        conn,
        Send.__table__,  # type: ignore[arg-type]
        {
            "id": "send_id",
            "workspace_id": ws,
            "campaign_id": "campaign_id",
            "sequence_id": "campaign_id",
            "lead_id": "lead_id",
            "step": "step",
            "variant": "CASE WHEN step = 0 THEN n % 2 ELSE 0 END",
            "account_id": "account_id",
            "account_email": "account_email",
            "message_id": "'<' || send_id || '@bench.test>'",
            "state": f"'{SendState.SENT}'",
            "due_at": "at",
            "attempts": "1",
            "sent_at": "at",
            "timestamp_created": "at",
            "timestamp_updated": "at",
        },
        "FROM bench_step ORDER BY n, step",
    )
    event = Event.__table__
    base = {
        "workspace_id": ws,
        "campaign_id": "campaign_id",
        "sequence_id": "campaign_id",
        "lead_id": "lead_id",
        "step": "step",
        "variant": "CASE WHEN step = 0 THEN n % 2 ELSE 0 END",
        "account_email": "account_email",
    }
    kinds = [
        (EventType.SENT, "1", "at", "NULL", "NULL", "FROM bench_step"),
        (EventType.OPENED, "opens", "open_at", "open_at", "NULL", "FROM bench_step WHERE opened"),
        (
            EventType.CLICKED,
            "1",
            "open_at + interval '30 seconds'",
            "open_at + interval '30 seconds'",
            "NULL",
            "FROM bench_step WHERE clicked",
        ),
    ]
    last = "FROM bench_lead l JOIN bench_step s USING (n) WHERE s.step = l.sent - 1 AND l.sent > 0"
    ends = [
        (EventType.REPLIED, "'replied'"),
        (EventType.BOUNCED, "'bounced'"),
        (EventType.UNSUBSCRIBED, "'unsubscribed'"),
    ]
    for kind, state in ends:
        kinds.append((kind, "1", "at + interval '2 hours'", "NULL", "NULL", f"{last} AND l.state = {state}"))
        if kind == EventType.BOUNCED:
            kinds[-1] = (
                kind,
                "1",
                "at + interval '2 hours'",
                "NULL",
                "'hard'",
                f"{last} AND l.state = {state}",
            )
    counts["event"] = 0
    for prefix, (kind, count, at, counted, severity, source) in enumerate(kinds, start=3):
        qualified = {
            name: (f"s.{value}" if value in ("campaign_id", "lead_id", "step", "account_email") else value)
            for name, value in base.items()
        }
        if "bench_lead l" in source:
            qualified["variant"] = "CASE WHEN s.step = 0 THEN s.n % 2 ELSE 0 END"
            columns = {
                "id": _id(prefix, "s.n * 16 + s.step"),
                **qualified,
                "type": f"'{kind}'",
                "count": count,
                "severity": severity,
                "timestamp": f"s.{at}",
                "timestamp_counted": counted,
            }
        else:
            columns = {
                "id": _id(prefix, "n * 16 + step"),
                **base,
                "type": f"'{kind}'",
                "count": count,
                "severity": severity,
                "timestamp": at,
                "timestamp_counted": counted,
            }
        counts["event"] += await _insert(conn, event, columns, source)  # type: ignore[arg-type]
    return counts


async def sample_sends(conn: asyncpg.Connection, size: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(send, lead) of about `size` sent sends spread over the table."""
    rows = await conn.fetch(
        "SELECT id, lead_id FROM send WHERE state = $1 ORDER BY md5(id::text) LIMIT $2", SendState.SENT, size
    )
    return [(row["id"], row["lead_id"]) for row in rows]
