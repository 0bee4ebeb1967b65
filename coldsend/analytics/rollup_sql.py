"""The SQL that keeps the analytics rollups (coldsend/models/analytics.py): the statements the triggers on
`event` and `lead` run, the same text on SQLite and PostgreSQL but for how a timestamp becomes a UTC day.

Every write to `event` goes through them (events.record, the ORM, COPY, a cascade from a deleted campaign
or subsequence, a lead's deletion setting `lead_id` NULL), in the writer's transaction. A lead's distinct
counts depend on its other events: each statement looks them up through the event table's indexes.
"""

from dataclasses import dataclass

from coldsend.models.analytics import NO_DAY, NO_INTEREST, NO_STEP
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


_DAY_UPSERT = (
    "ON CONFLICT (sequence_id, kind, day) DO UPDATE SET total = analytics_day.total + excluded.total, "
    "row_count = analytics_day.row_count + excluded.row_count, leads = analytics_day.leads + excluded.leads, "
    "firsts = analytics_day.firsts + excluded.firsts"
)
_SPAN_UPSERT = (
    "ON CONFLICT (sequence_id, kind, day, prev_day) DO UPDATE SET "
    "leads = analytics_span.leads + excluded.leads"
)
_STEP_UPSERT = (
    "ON CONFLICT (sequence_id, step, variant, kind, day) DO UPDATE SET "
    "total = analytics_step_day.total + excluded.total, "
    "row_count = analytics_step_day.row_count + excluded.row_count"
)
_ACCOUNT_UPSERT = (
    "ON CONFLICT (workspace_id, account_email, kind, day) DO UPDATE SET "
    "total = analytics_account_day.total + excluded.total, "
    "row_count = analytics_account_day.row_count + excluded.row_count, "
    "leads = analytics_account_day.leads + excluded.leads"
)
_SEQUENCE = "{r}.sequence_id, {kind}, {d}, {r}.workspace_id, {r}.campaign_id, {r}.subsequence_id"


def counted(dialect: str, row: str, total: str, rows: str) -> list[str]:
    """The row's event counted `total` more times in `rows` more rows (negative: fewer)."""
    d = day_of(dialect, f'{row}."timestamp"')
    r = row
    return [
        "INSERT INTO analytics_day (sequence_id, kind, day, workspace_id, campaign_id, subsequence_id, "
        f"total, row_count, leads, firsts) SELECT {_SEQUENCE.format(r=r, kind=f'{r}.type', d=d)}, "
        f"{total}, {rows}, 0, 0 WHERE TRUE {_DAY_UPSERT}",
        "INSERT INTO analytics_step_day (sequence_id, step, variant, kind, day, workspace_id, campaign_id, "
        f"subsequence_id, total, row_count) SELECT {r}.sequence_id, {r}.step, {r}.variant, {r}.type, {d}, "
        f"{r}.workspace_id, {r}.campaign_id, {r}.subsequence_id, {total}, {rows} WHERE TRUE {_STEP_UPSERT}",
        "INSERT INTO analytics_account_day (workspace_id, account_email, kind, day, total, row_count, leads) "
        f"SELECT {r}.workspace_id, {r}.account_email, {r}.type, {d}, {total}, {rows}, 0 "
        f"WHERE {r}.account_email IS NOT NULL {_ACCOUNT_UPSERT}",
    ]


def counted_rows(table: str) -> list[str]:
    """PostgreSQL's statement trigger: the events of transition table `table` counted, one upsert per
    rollup row they touch (not one per event: a row updated again and again in one transaction leaves a
    chain of versions each later update walks)."""
    d = day_of("postgresql", 'n."timestamp"')
    sequence = f"n.sequence_id, n.type, {d}, n.workspace_id, n.campaign_id, n.subsequence_id"
    step = f"n.sequence_id, n.step, n.variant, n.type, {d}, n.workspace_id, n.campaign_id, n.subsequence_id"
    account = f"n.workspace_id, n.account_email, n.type, {d}"
    return [
        "INSERT INTO analytics_day (sequence_id, kind, day, workspace_id, campaign_id, subsequence_id, "
        f'total, row_count, leads, firsts) SELECT {sequence}, sum(n."count"), count(*), 0, 0 '
        f"FROM {table} n GROUP BY {sequence} {_DAY_UPSERT}",
        "INSERT INTO analytics_step_day (sequence_id, step, variant, kind, day, workspace_id, campaign_id, "
        f'subsequence_id, total, row_count) SELECT {step}, sum(n."count"), count(*) FROM {table} n '
        f"GROUP BY {step} {_STEP_UPSERT}",
        "INSERT INTO analytics_account_day (workspace_id, account_email, kind, day, total, row_count, leads) "
        f'SELECT {account}, sum(n."count"), count(*), 0 FROM {table} n WHERE n.account_email IS NOT NULL '
        f"GROUP BY {account} {_ACCOUNT_UPSERT}",
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


def lead_day(dialect: str, row: str, sign: int) -> list[str]:
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
        columns = "sequence_id, kind, day, workspace_id, campaign_id, subsequence_id"
        # The row's day: one more lead; a first if nothing came before. The next day: no longer a first.
        statements.append(
            f"INSERT INTO analytics_day ({columns}, total, row_count, leads, firsts) "
            f"SELECT {head}, 0, 0, x.leads, x.firsts FROM ("
            f"SELECT {d} AS day, {sign} AS leads, "
            f"CASE WHEN {before} IS NULL THEN {sign} ELSE 0 END AS firsts "
            f"UNION ALL SELECT {after}, 0, {-sign} WHERE {before} IS NULL AND {after} IS NOT NULL"
            f") x WHERE {alone} {_DAY_UPSERT}"
        )
        statements.append(
            f"INSERT INTO analytics_span ({columns}, prev_day, leads) "
            f"SELECT {head}, x.prev_day, x.leads FROM ("
            f"SELECT {d} AS day, {before} AS prev_day, {sign} AS leads WHERE {before} IS NOT NULL "
            f"UNION ALL SELECT {after}, {before}, {-sign} WHERE {before} IS NOT NULL AND {after} IS NOT NULL "
            f"UNION ALL SELECT {after}, {d}, {sign} WHERE {after} IS NOT NULL"
            f") x WHERE {alone} {_SPAN_UPSERT}"
        )
        statements.append(
            "INSERT INTO analytics_account_day (workspace_id, account_email, kind, day, total, row_count, "
            f"leads) SELECT {row}.workspace_id, {row}.account_email, {kind}, {d}, 0, 0, {sign} "
            f"WHERE {row}.lead_id IS NOT NULL AND {row}.account_email IS NOT NULL AND {family.of(row)} "
            f"AND NOT EXISTS (SELECT 1 FROM event o WHERE o.lead_id = {row}.lead_id "
            f"AND o.workspace_id = {row}.workspace_id AND o.account_email = {row}.account_email "
            f"AND {_same_family(family, row, 'o')} "
            f"AND o.id <> {row}.id AND {od} = {d}) {_ACCOUNT_UPSERT}"
        )
    return statements


# A campaign's leads that change status move between the same few tally rows, each locked from its update
# until the transaction commits: on PostgreSQL, each lead's counts go into one of STRIPES rows of its key
# (by its id), so unsubscribes and replies of one campaign seldom wait on each other. Readers add them up.
STRIPES = 8


def _stripe(dialect: str, lead_id: str) -> str:
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
