"""PostgreSQL's distinct-lead upkeep for statements that touch many rows at once (an insert of a batch of
events, a cascade from a deleted campaign, a deleted lead setting `lead_id` NULL on all its events): row
triggers fire only after the whole statement there, each seeing its siblings' changes already. So these
recount the leads concerned, before and after the statement, set-based, and add the difference.

`before` and `after` are SQL (row sources with the event table's columns) of the concerned leads' events.
"""

from coldsend.analytics.rollup_sql import FAMILIES, Shape, adding, day_of, into

_COLUMNS = "sequence_id, workspace_id, campaign_id, subsequence_id"
_ACCOUNT = "workspace_id, account_email, kind, day"


def _days(source: str, sign: int, *columns: str) -> str:
    day = day_of("postgresql", 'e."timestamp"')
    selected = ", ".join(f"e.{column}" for column in columns)
    return " UNION ALL ".join(
        f"SELECT DISTINCT {sign} AS sign, {selected}, {family.kind.format(r='e')} AS kind, e.lead_id, "
        f"{day} AS day FROM ({source}) e WHERE e.lead_id IS NOT NULL AND {family.of('e')}"
        for family in FAMILIES
    )


def recount(before: str, after: str, shape: Shape) -> list[str]:
    """Statements adding (after - before) to the day, span and account rollups. Each reads the two row
    sources once (materialized), not once per family."""
    sources = f"WITH before AS MATERIALIZED ({before}), after AS MATERIALIZED ({after}) "
    before, after = "SELECT * FROM before", "SELECT * FROM after"
    linked = (
        "SELECT d.*, LAG(d.day) OVER (PARTITION BY d.sign, d.sequence_id, d.kind, d.lead_id ORDER BY d.day) "
        f"AS prev_day FROM ({_days(before, -1, *_COLUMNS.split(', '))} UNION ALL "
        f"{_days(after, 1, *_COLUMNS.split(', '))}) d"
    )
    account = (
        f"{_days(before, -1, 'workspace_id', 'account_email')} UNION ALL "
        f"{_days(after, 1, 'workspace_id', 'account_email')}"
    )
    pg = "postgresql"
    statements = [
        into(pg, "analytics_day", f"{_COLUMNS}, kind, day, total, row_count, leads, firsts", shape)
        + "x.sequence_id, x.workspace_id, x.campaign_id, x.subsequence_id, x.kind, x.day, 0, 0, sum(x.sign), "
        "sum(CASE WHEN x.prev_day IS NULL THEN x.sign ELSE 0 END) "
        f"FROM ({linked}) x GROUP BY {_COLUMNS}, x.kind, x.day "
        "HAVING sum(x.sign) <> 0 OR sum(CASE WHEN x.prev_day IS NULL THEN x.sign ELSE 0 END) <> 0 "
        + adding("analytics_day", shape),
        into(pg, "analytics_span", f"{_COLUMNS}, kind, day, prev_day, leads", shape)
        + "x.sequence_id, x.workspace_id, x.campaign_id, x.subsequence_id, x.kind, x.day, x.prev_day, "
        f"sum(x.sign) FROM ({linked}) x WHERE x.prev_day IS NOT NULL "
        f"GROUP BY {_COLUMNS}, x.kind, x.day, x.prev_day HAVING sum(x.sign) <> 0 "
        + adding("analytics_span", shape),
        into(pg, "analytics_account_day", f"{_ACCOUNT}, total, row_count, leads", shape)
        + f"x.workspace_id, x.account_email, x.kind, x.day, 0, 0, sum(x.sign) FROM ({account}) x "
        "WHERE x.account_email IS NOT NULL GROUP BY x.workspace_id, x.account_email, x.kind, x.day "
        f"HAVING sum(x.sign) <> 0 {adding('analytics_account_day', shape)}",
    ]
    return [sources + statement for statement in statements]


def inserted(added: str, shape: Shape) -> list[str]:
    """Events inserted by a statement (transition table `added`)."""
    after = f"SELECT * FROM event WHERE lead_id IN (SELECT lead_id FROM {added})"
    before = f"{after} AND id NOT IN (SELECT id FROM {added})"
    return recount(before, after, shape)


def deleted(gone: str, shape: Shape) -> list[str]:
    """Events deleted by a statement (transition table `gone`)."""
    after = f"SELECT * FROM event WHERE lead_id IN (SELECT lead_id FROM {gone})"
    before = f"{after} UNION ALL SELECT * FROM {gone} WHERE lead_id IS NOT NULL"
    return recount(before, after, shape)


def relinked(old: str, new: str, shape: Shape) -> list[str]:
    """Events whose lead_id a statement changed (transition tables `old` and `new`)."""
    changed = (
        f"SELECT o.id FROM {old} o JOIN {new} n ON n.id = o.id WHERE o.lead_id IS DISTINCT FROM n.lead_id"
    )
    leads = (
        f"SELECT lead_id FROM {old} WHERE id IN ({changed}) "
        f"UNION SELECT lead_id FROM {new} WHERE id IN ({changed})"
    )
    after = f"SELECT * FROM event WHERE lead_id IN ({leads})"
    before = (
        f"SELECT * FROM event WHERE lead_id IN ({leads}) AND id NOT IN ({changed}) "
        f"UNION ALL SELECT * FROM {old} WHERE id IN ({changed}) AND lead_id IN ({leads})"
    )
    return recount(before, after, shape)
