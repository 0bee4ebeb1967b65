"""Block list entries, and the one question the rest of Coldsend asks of them: `blocked()`.

A domain entry blocks addresses at exactly that domain, not at its subdomains: Instantly documents
entries as "an email or a domain" and nothing more, so `example.com` does not block `a@mail.example.com`.
"""

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.addresses import domain_key, email_keys, normalize_email_or_domain
from coldsend.clock import iso_z, utcnow
from coldsend.db.repository import keyset_rows
from coldsend.db.upsert import conflict_insert
from coldsend.ids import new_id
from coldsend.models import BlockListEntry

CSV_HEADER = ("Blocked Email", "Date")
DOWNLOAD_BATCH = 5000

# An entry as the API shows it, shaped in SQL so rows validate in one step.
SHOWN_COLUMNS = (
    BlockListEntry.id,
    BlockListEntry.timestamp_created,
    BlockListEntry.workspace_id.label("organization_id"),
    BlockListEntry.bl_value,
    BlockListEntry.is_domain,
)


@dataclass(frozen=True, slots=True)
class Filters:
    domains_only: bool = False
    search: str | None = None


@dataclass(frozen=True, slots=True)
class BulkResult:
    created: Sequence[Row[Any]]
    invalid: list[str]
    duplicates: list[str]


def is_domain(value: str) -> bool:
    return "@" not in value


def search_term(search: str) -> str:
    """The stored form of a search: lower case, and an IDN domain part in punycode."""
    local, at, domain = search.strip().lower().rpartition("@")
    return f"{local}{at}{domain_key(domain)}"


def _where(workspace_id: uuid.UUID, filters: Filters) -> list[ColumnElement[bool]]:
    clauses = [BlockListEntry.workspace_id == workspace_id]
    if filters.domains_only:
        clauses.append(BlockListEntry.is_domain.is_(True))
    if filters.search:
        escaped = search_term(filters.search).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(BlockListEntry.bl_value.like(f"%{escaped}%", escape="\\"))
    return clauses


def _shown(workspace_id: uuid.UUID, filters: Filters) -> Select[Any]:
    return select(*SHOWN_COLUMNS).where(*_where(workspace_id, filters))


async def create(session: AsyncSession, *, workspace_id: uuid.UUID, bl_value: str) -> BlockListEntry:
    """`bl_value` is normalised already; blocking a blocked value again returns the existing entry.

    Insert-or-nothing, then read: two requests blocking the same value at once both get the one entry.
    """
    await add(session, workspace_id=workspace_id, bl_value=bl_value)
    entry = await get_by_value(session, workspace_id=workspace_id, bl_value=bl_value)
    assert entry is not None, "inserted or already there"
    return entry


_ADD = conflict_insert(cast(Table, BlockListEntry.__table__)).ignore_conflict(["workspace_id", "bl_value"])


async def add(session: AsyncSession, *, workspace_id: uuid.UUID, bl_value: str) -> None:
    """`bl_value` (normalised already) blocked, if it is not yet: `create` for a caller that does not
    need the entry back (an unsubscribe)."""
    now = utcnow()
    row = {"workspace_id": workspace_id, "bl_value": bl_value, "is_domain": is_domain(bl_value)}
    entry = {"id": new_id(), "timestamp_created": now, "timestamp_updated": now, **row}
    await (await session.connection()).execute(_ADD, entry)


async def get_by_value(
    session: AsyncSession, *, workspace_id: uuid.UUID, bl_value: str
) -> BlockListEntry | None:
    stmt = select(BlockListEntry).where(
        BlockListEntry.workspace_id == workspace_id, BlockListEntry.bl_value == bl_value
    )
    entry: BlockListEntry | None = await session.scalar(stmt)
    return entry


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, entry_id: uuid.UUID
) -> BlockListEntry | None:
    stmt = select(BlockListEntry).where(
        BlockListEntry.id == entry_id, BlockListEntry.workspace_id == workspace_id
    )
    entry: BlockListEntry | None = await session.scalar(stmt)
    return entry


async def update(session: AsyncSession, entry: BlockListEntry, *, bl_value: str) -> BlockListEntry | None:
    """The entry with its new value; None when another entry of the workspace holds that value."""
    if bl_value != entry.bl_value:
        if await get_by_value(session, workspace_id=entry.workspace_id, bl_value=bl_value):
            return None
        entry.bl_value = bl_value
        entry.is_domain = is_domain(bl_value)
        await session.flush()
    return entry


async def remove(session: AsyncSession, entry: BlockListEntry) -> BlockListEntry:
    await session.delete(entry)
    await session.flush()
    return entry


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, filters: Filters, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of SHOWN_COLUMNS, in id (creation) order."""
    stmt = _shown(workspace_id, filters)
    return await keyset_rows(session, stmt, key=BlockListEntry.id, limit=limit, after=after)


async def bulk_create(
    session: AsyncSession, *, workspace_id: uuid.UUID, bl_values: Sequence[str]
) -> BulkResult:
    """One INSERT for the valid, new values; values already blocked (or repeated) are duplicates."""
    invalid: list[str] = []
    wanted: dict[str, str] = {}
    duplicates: list[str] = []
    for raw in bl_values:
        try:
            value = normalize_email_or_domain(raw)
        except ValueError:
            invalid.append(raw)
            continue
        if value in wanted:
            duplicates.append(raw)
        else:
            wanted[value] = raw
    created: Sequence[Row[Any]] = []
    if wanted:
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "bl_value": value,
                "is_domain": is_domain(value),
                "timestamp_created": now,
                "timestamp_updated": now,
            }
            for value in wanted
        ]
        stmt = (
            conflict_insert(BlockListEntry)
            .values(rows)
            .ignore_conflict(["workspace_id", "bl_value"])
            .returning(*SHOWN_COLUMNS)
        )
        created = sorted((await session.execute(stmt)).all(), key=lambda row: row.id)
        inserted = {row.bl_value for row in created}
        duplicates.extend(raw for value, raw in wanted.items() if value not in inserted)
    return BulkResult(created=created, invalid=invalid, duplicates=duplicates)


async def delete_many(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    ids: Sequence[uuid.UUID] | None = None,
    filters: Filters,
) -> Sequence[Row[Any]]:
    """Delete the workspace's entries matching `filters` (and `ids`, when given); the deleted rows."""
    stmt = (
        delete(BlockListEntry)
        .where(*_where(workspace_id, filters))
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        stmt = stmt.where(BlockListEntry.id.in_(list(dict.fromkeys(ids))))
    rows = (await session.execute(stmt.returning(*SHOWN_COLUMNS))).all()
    return sorted(rows, key=lambda row: row.id)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: an address may legally start with "=", "+" or "-", which
    Excel and LibreOffice would run as a formula (CSV injection), so such cells get a leading "'"."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


async def csv_lines(
    sessionmaker: async_sessionmaker[AsyncSession], *, workspace_id: uuid.UUID, filters: Filters
) -> AsyncIterator[str]:
    """The CSV download in chunks of DOWNLOAD_BATCH rows: keyset pages, each read on its own, so the
    whole list is never in memory and no connection is held while the client reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    after: uuid.UUID | None = None
    while True:
        stmt = select(BlockListEntry.id, BlockListEntry.bl_value, BlockListEntry.timestamp_created).where(
            *_where(workspace_id, filters)
        )
        async with sessionmaker() as session:
            rows, more = await keyset_rows(
                session, stmt, key=BlockListEntry.id, limit=DOWNLOAD_BATCH, after=after
            )
        writer.writerows((spreadsheet_safe(row.bl_value), iso_z(row.timestamp_created)) for row in rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if not more:
            return
        after = rows[-1].id


def _blocked_statement(keyed: ColumnElement[bool], joined: ColumnElement[Any]) -> Select[Any]:
    return select(joined).where(BlockListEntry.workspace_id == bindparam("workspace_id"), keyed)


# `blocked`'s one statement per dialect, built once: the scheduler asks it of every campaign each tick.
# PostgreSQL: one text parameter split server-side, measured cheaper than binding a text[] of the same keys.
_BLOCKED_POSTGRESQL = _blocked_statement(
    BlockListEntry.bl_value == any_(func.string_to_array(bindparam("values", type_=String), "\n")),
    func.string_agg(BlockListEntry.bl_value, "\n"),
)
_BLOCKED_SQLITE = _blocked_statement(
    BlockListEntry.bl_value.in_(
        select(text("value")).select_from(func.json_each(bindparam("values", type_=String))).scalar_subquery()
    ),
    func.group_concat(BlockListEntry.bl_value, "\n"),
)


async def blocked(session: AsyncSession, *, workspace_id: uuid.UUID, addresses: Sequence[str]) -> set[str]:
    """Which of `addresses` (returned as given) the workspace blocks, by exact address or its domain.

    One indexed query for the whole batch over the unique (workspace_id, bl_value) index: the addresses
    and their domains go as one newline-joined (PostgreSQL) or JSON (SQLite) text parameter, and the hits
    come back as one newline-joined text, not a row each (no lookup key holds a newline, so no hit does).
    """
    emails, domains = email_keys(addresses)
    values = set(emails).union(domains)
    values.discard("")
    if "\n" in "".join(values):  # only an address holding a newline has such a key; it matches no entry
        values = {value for value in values if "\n" not in value}
    if not values:
        return set()
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # Sorted as the index is (code points: the C.UTF-8 or C collation), so the index scan's own sort of
        # the keys finds them in order and stops after one pass.
        packed, stmt = "\n".join(sorted(values)), _BLOCKED_POSTGRESQL
    else:
        packed, stmt = json.dumps(list(values)), _BLOCKED_SQLITE
    found: str | None = (
        await connection.execute(stmt, {"workspace_id": workspace_id, "values": packed})
    ).scalar_one()
    if not found:
        return set()
    hits = set(found.split("\n"))
    return {
        address
        for address, email, domain in zip(addresses, emails, domains, strict=True)
        if email in hits or domain in hits
    }
