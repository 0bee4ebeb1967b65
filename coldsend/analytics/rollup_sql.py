"""The SQL that keeps the analytics rollups (coldsend/models/analytics.py): the statements the triggers on
`event` and `lead` run, the same text on SQLite and PostgreSQL but for how a timestamp becomes a UTC day.

Every write to `event` goes through them (events.record, the ORM, COPY, a cascade from a deleted campaign
or subsequence, a lead's deletion setting `lead_id` NULL), in the writer's transaction. A lead's distinct
counts depend on its other events: each statement looks them up through the event table's indexes.
"""

from dataclasses import dataclass
from enum import IntEnum

from coldsend.models.analytics import NO_DAY, NO_INTEREST, NO_STEP, SETTLED
from coldsend.models.event import EventType


def day_of(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


@dataclass(frozen=True, slots=True)
class Family:
    """A kind of distinct-lead count: `kind` (SQL for its name), `holds` (SQL: a row `{r}` is of it)."""

    kind: str
    holds: str

    def of(self, row: str) -> str:
        return self.holds.format(r=row)


FAMILIES = (
    Family("{r}.type", "TRUE"),
    Family(
        "'bounced_hard'",
        f"{{r}}.type = '{EventType.BOUNCED}' AND ({{r}}.severity IS NULL OR {{r}}.severity = 'hard')",
    ),
    Family(
        "'bounced_soft'",
        f"({{r}}.type = '{EventType.SOFT_BOUNCED}' OR ({{r}}.type = '{EventType.BOUNCED}' "
        "AND {r}.severity = 'soft'))",
    ),
    Family("'new'", f"{{r}}.type = '{EventType.SENT}' AND {{r}}.step = 0 AND {{r}}.subsequence_id IS NULL"),
)


def _same_family(family: Family, row: str, other: str) -> str:
    """`other` is of `row`'s kind in this family (its type, for the first)."""
    if family.kind == "{r}.type":
        return f"{other}.type = {row}.type"
    return family.of(other)


class Shape(IntEnum):
    """Which rollups have a stripe in their key, as the migrations left them (the migrations before a
    change install its triggers and recount in the shape of their time)."""

    PLAIN = 0  # migrations 0017 to 0021
    TALLY_STRIPED = 1  # 0022: the lead tally
    STRIPED = 2  # 0023: the day rollups too

    @property
    def tally(self) -> bool:
        return self >= Shape.TALLY_STRIPED

    @property
    def days(self) -> bool:
        return self >= Shape.STRIPED


# Concurrent writers count into the same few rows: a campaign's opens of the day, its leads of a status.
# Each such row stays locked from a writer's update until its transaction commits, so on PostgreSQL the
# rollups are kept in STRIPES rows per key, which readers add up. SQLite has one writer at a time and
# keeps one.
STRIPES = 8

DAY_KEYS: dict[str, tuple[str, ...]] = {
    "analytics_day": ("sequence_id", "kind", "day"),
    "analytics_span": ("sequence_id", "kind", "day", "prev_day"),
    "analytics_step_day": ("sequence_id", "step", "variant", "kind", "day"),
    "analytics_account_day": ("workspace_id", "account_email", "kind", "day"),
}
# What a key's rows all carry besides it (a sequence's workspace, campaign and subsequence).
DAY_DETAILS: dict[str, tuple[str, ...]] = {
    "analytics_day": ("workspace_id", "campaign_id", "subsequence_id"),
    "analytics_span": ("workspace_id", "campaign_id", "subsequence_id"),
    "analytics_step_day": ("workspace_id", "campaign_id", "subsequence_id"),
    "analytics_account_day": (),
}
DAY_COUNTERS: dict[str, tuple[str, ...]] = {
    "analytics_day": ("total", "row_count", "leads", "firsts"),
    "analytics_span": ("leads",),
    "analytics_step_day": ("total", "row_count"),
    "analytics_account_day": ("total", "row_count", "leads"),
}


def day_key(table: str, shape: Shape) -> tuple[str, ...]:
    return (*DAY_KEYS[table], *(("stripe",) if shape.days else ()))


def writer_stripe(dialect: str) -> str:
    """A day rollup's stripe for the writing transaction: its connection's. Any stripe gives the same sums;
    this one keeps a transaction's counts in one row per key, and a pool's connections apart."""
    if dialect == "postgresql":
        return f"({SETTLED + 1} + (pg_backend_pid() & {STRIPES - 1}))"
    return str(SETTLED)


def into(dialect: str, table: str, columns: str, shape: Shape) -> str:
    """`INSERT INTO table (columns) SELECT `, led by the writer's stripe when the table has one."""
    if not shape.days:
        return f"INSERT INTO {table} ({columns}) SELECT "
    return f"INSERT INTO {table} (stripe, {columns}) SELECT {writer_stripe(dialect)}, "


def adding(table: str, shape: Shape) -> str:
    """The upsert that adds a row's counters to its key's."""
    sums = ", ".join(f"{counter} = {table}.{counter} + excluded.{counter}" for counter in DAY_COUNTERS[table])
    return f"ON CONFLICT ({', '.join(day_key(table, shape))}) DO UPDATE SET {sums}"


_SEQUENCE = "{r}.sequence_id, {kind}, {d}, {r}.workspace_id, {r}.campaign_id, {r}.subsequence_id"
_DAY_COLUMNS = "sequence_id, kind, day, workspace_id, campaign_id, subsequence_id"
_STEP_COLUMNS = "sequence_id, step, variant, kind, day, workspace_id, campaign_id, subsequence_id"
_ACCOUNT_COLUMNS = "workspace_id, account_email, kind, day"


def _keys(row: str, day: str) -> tuple[str, str, str]:
    """The keys an event row `row` of day `day` counts under, in the day, step and account rollups (in the
    order of _DAY_COLUMNS, _STEP_COLUMNS and _ACCOUNT_COLUMNS)."""
    r = row
    return (
        _SEQUENCE.format(r=r, kind=f"{r}.type", d=day),
        f"{r}.sequence_id, {r}.step, {r}.variant, {r}.type, {day}, {r}.workspace_id, {r}.campaign_id, "
        f"{r}.subsequence_id",
        f"{r}.workspace_id, {r}.account_email, {r}.type, {day}",
    )


def counted(dialect: str, row: str, total: str, rows: str, shape: Shape) -> list[str]:
    """The row's event counted `total` more times in `rows` more rows (negative: fewer)."""
    sequence, step, account = _keys(row, day_of(dialect, f'{row}."timestamp"'))
    return [
        into(dialect, "analytics_day", f"{_DAY_COLUMNS}, total, row_count, leads, firsts", shape)
        + f"{sequence}, {total}, {rows}, 0, 0 WHERE TRUE {adding('analytics_day', shape)}",
        into(dialect, "analytics_step_day", f"{_STEP_COLUMNS}, total, row_count", shape)
        + f"{step}, {total}, {rows} WHERE TRUE {adding('analytics_step_day', shape)}",
        into(dialect, "analytics_account_day", f"{_ACCOUNT_COLUMNS}, total, row_count, leads", shape)
        + f"{account}, {total}, {rows}, 0 WHERE {row}.account_email IS NOT NULL "
        + adding("analytics_account_day", shape),
    ]


def counted_rows(table: str, shape: Shape) -> list[str]:
    """PostgreSQL's statement trigger: the events of transition table `table` counted, one upsert per
    rollup row they touch (not one per event: a row updated again and again in one transaction leaves a
    chain of versions each later update walks)."""
    pg = "postgresql"
    sequence, step, account = _keys("n", day_of(pg, 'n."timestamp"'))
    counts = 'sum(n."count"), count(*)'
    return [
        into(pg, "analytics_day", f"{_DAY_COLUMNS}, total, row_count, leads, firsts", shape)
        + f"{sequence}, {counts}, 0, 0 FROM {table} n GROUP BY {sequence} {adding('analytics_day', shape)}",
        into(pg, "analytics_step_day", f"{_STEP_COLUMNS}, total, row_count", shape)
        + f"{step}, {counts} FROM {table} n GROUP BY {step} {adding('analytics_step_day', shape)}",
        into(pg, "analytics_account_day", f"{_ACCOUNT_COLUMNS}, total, row_count, leads", shape)
        + f"{account}, {counts}, 0 FROM {table} n WHERE n.account_email IS NOT NULL "
        f"GROUP BY {account} {adding('analytics_account_day', shape)}",
    ]


def _lead_days(dialect: str, family: Family, row: str) -> tuple[str, str, str]:
    """SQL for: the row's day; the lead's other days of the kind in the sequence before it (the latest),
    and after it (the earliest)."""
    d = day_of(dialect, f'{row}."timestamp"')
    od = day_of(dialect, 'o."timestamp"')
    others = (
        f"FROM event o WHERE o.lead_id = {row}.lead_id AND o.sequence_id = {row}.sequence_id "
        f"AND {_same_family(family, row, 'o')} AND o.id <> {row}.id"
    )
    return d, f"(SELECT max({od}) {others} AND {od} < {d})", f"(SELECT min({od}) {others} AND {od} > {d})"


def lead_day(dialect: str, row: str, sign: int, shape: Shape) -> list[str]:
    """The row's lead gains (`sign` 1) or loses (-1) the row's day in each of its kinds, when no other row
    of the lead gives it that day: its days before and after it in the sequence are re-linked."""
    statements = []
    for family in FAMILIES:
        d, before, after = _lead_days(dialect, family, row)
        od = day_of(dialect, 'o."timestamp"')
        kind = family.kind.format(r=row)
        alone = (
            f"{row}.lead_id IS NOT NULL AND {family.of(row)} AND NOT EXISTS (SELECT 1 FROM event o "
            f"WHERE o.lead_id = {row}.lead_id AND o.sequence_id = {row}.sequence_id "
            f"AND {_same_family(family, row, 'o')} AND o.id <> {row}.id AND {od} = {d})"
        )
        head = _SEQUENCE.format(r=row, kind=kind, d="x.day")
        # The row's day: one more lead; a first if nothing came before. The next day: no longer a first.
        statements.append(
            into(dialect, "analytics_day", f"{_DAY_COLUMNS}, total, row_count, leads, firsts", shape)
            + f"{head}, 0, 0, x.leads, x.firsts FROM ("
            f"SELECT {d} AS day, {sign} AS leads, "
            f"CASE WHEN {before} IS NULL THEN {sign} ELSE 0 END AS firsts "
            f"UNION ALL SELECT {after}, 0, {-sign} WHERE {before} IS NULL AND {after} IS NOT NULL"
            f") x WHERE {alone} {adding('analytics_day', shape)}"
        )
        statements.append(
            into(dialect, "analytics_span", f"{_DAY_COLUMNS}, prev_day, leads", shape)
            + f"{head}, x.prev_day, x.leads FROM ("
            f"SELECT {d} AS day, {before} AS prev_day, {sign} AS leads WHERE {before} IS NOT NULL "
            f"UNION ALL SELECT {after}, {before}, {-sign} WHERE {before} IS NOT NULL AND {after} IS NOT NULL "
            f"UNION ALL SELECT {after}, {d}, {sign} WHERE {after} IS NOT NULL"
            f") x WHERE {alone} {adding('analytics_span', shape)}"
        )
        statements.append(
            into(dialect, "analytics_account_day", f"{_ACCOUNT_COLUMNS}, total, row_count, leads", shape)
            + f"{row}.workspace_id, {row}.account_email, {kind}, {d}, 0, 0, {sign} "
            f"WHERE {row}.lead_id IS NOT NULL AND {row}.account_email IS NOT NULL AND {family.of(row)} "
            f"AND NOT EXISTS (SELECT 1 FROM event o WHERE o.lead_id = {row}.lead_id "
            f"AND o.workspace_id = {row}.workspace_id AND o.account_email = {row}.account_email "
            f"AND {_same_family(family, row, 'o')} "
            f"AND o.id <> {row}.id AND {od} = {d}) {adding('analytics_account_day', shape)}"
        )
    return statements


def _stripe(dialect: str, lead_id: str) -> str:
    """A lead's tally stripe, by its id: its removal from a key must find the row its addition went to."""
    if dialect == "postgresql":
        return f"(hashtext({lead_id}::text) & {STRIPES - 1})"
    return "0"  # one writer at a time


def lead_key(dialect: str, row: str, *, striped: bool = True) -> list[str]:
    """The tally key of a lead row, in `tally_key(striped)`'s order (`striped` False: as before the
    stripes, for the migrations that ran then)."""
    change = day_of(dialect, f"{row}.timestamp_last_interest_change")
    no_day = f"'{NO_DAY.isoformat()}'" if dialect == "sqlite" else f"DATE '{NO_DAY.isoformat()}'"
    return [
        f"{row}.campaign_id",
        f"{row}.status",
        f"COALESCE({row}.lt_interest_status, {NO_INTEREST})",
        f"COALESCE({change}, {no_day})",
        f"COALESCE({row}.email_replied_step, {NO_STEP})",
        f"COALESCE({row}.email_replied_variant, {NO_STEP})",
        *([_stripe(dialect, f"{row}.id")] if striped else []),
    ]


LEAD_KEY = ("campaign_id", "status", "interest", "change_day", "replied_step", "replied_variant")
LEAD_COLUMNS: tuple[str, ...] = ("campaign_id", "status", "lt_interest_status")
LEAD_COLUMNS += ("timestamp_last_interest_change", "email_replied_step", "email_replied_variant")


def tally_key(striped: bool = True) -> tuple[str, ...]:
    return (*LEAD_KEY, "stripe") if striped else LEAD_KEY


def _tally_upsert(striped: bool) -> str:
    return (
        f"ON CONFLICT ({', '.join(tally_key(striped))}) DO UPDATE SET "
        "leads = analytics_lead_tally.leads + excluded.leads"
    )


def lead_added(dialect: str, row: str, *, striped: bool = True) -> str:
    return (
        f"INSERT INTO analytics_lead_tally ({', '.join(tally_key(striped))}, workspace_id, leads) "
        f"SELECT {', '.join(lead_key(dialect, row, striped=striped))}, {row}.workspace_id, 1 "
        f"WHERE {row}.campaign_id IS NOT NULL {_tally_upsert(striped)}"
    )


def leads_added(dialect: str, table: str, *, striped: bool = True) -> str:
    """PostgreSQL's statement trigger: the rows of transition table `table`, at once."""
    key = ", ".join(lead_key(dialect, "n", striped=striped))
    return (
        f"INSERT INTO analytics_lead_tally ({', '.join(tally_key(striped))}, workspace_id, leads) "
        f"SELECT {key}, n.workspace_id, count(*) FROM {table} n WHERE n.campaign_id IS NOT NULL "
        f"GROUP BY {key}, n.workspace_id {_tally_upsert(striped)}"
    )


def lead_removed(dialect: str, row: str, *, striped: bool = True) -> str:
    """An UPDATE, not an upsert: a deleted campaign's tally may be gone already."""
    matched = " AND ".join(
        f"{name} = {value}"
        for name, value in zip(tally_key(striped), lead_key(dialect, row, striped=striped), strict=True)
    )
    return f"UPDATE analytics_lead_tally SET leads = leads - 1 WHERE {matched}"


def leads_removed(dialect: str, table: str, *, striped: bool = True) -> str:
    key = lead_key(dialect, "o", striped=striped)
    names = tally_key(striped)
    named = ", ".join(f"{value} AS {name}" for name, value in zip(names, key, strict=True))
    matched = " AND ".join(f"t.{name} = g.{name}" for name in names)
    return (
        f"UPDATE analytics_lead_tally t SET leads = t.leads - g.n FROM (SELECT {named}, count(*) AS n "
        f"FROM {table} o WHERE o.campaign_id IS NOT NULL GROUP BY {', '.join(key)}) g WHERE {matched}"
    )
