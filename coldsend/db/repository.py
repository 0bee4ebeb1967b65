import uuid
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


class HasId(Protocol):
    id: Any


M = TypeVar("M", bound=HasId)
S = TypeVar("S", bound=Select[Any])


def _page_of(stmt: S, key: InstrumentedAttribute[Any], limit: int, after: Any | None, descending: bool) -> S:
    if after is not None:
        stmt = stmt.where(key < after if descending else key > after)
    return stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)


async def keyset_page(
    session: AsyncSession,
    stmt: Select[tuple[M]],
    *,
    key: InstrumentedAttribute[Any],
    limit: int,
    after: Any | None,
    descending: bool = False,
) -> tuple[Sequence[M], bool]:
    """One page of ORM objects ordered by a unique `key`, after the cursor; and whether more follow."""
    rows = (await session.scalars(_page_of(stmt, key, limit, after, descending))).all()
    return rows[:limit], len(rows) > limit


async def keyset_rows(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    key: InstrumentedAttribute[Any],
    limit: int,
    after: Any | None,
    descending: bool = False,
) -> tuple[Sequence[Row[Any]], bool]:
    """`keyset_page` for a select of plain columns (e.g. `select(Model.__table__)`).

    Rows go through Core only, skipping the ORM's identity map and instance state, several times
    cheaper per row: the way to read long lists that are only shown, never changed.
    """
    connection = await session.connection()
    rows = (await connection.execute(_page_of(stmt, key, limit, after, descending))).all()
    return rows[:limit], len(rows) > limit


async def get_in_workspace(
    session: AsyncSession, model: type[M], workspace_id: uuid.UUID, object_id: Any
) -> M | None:
    """A workspace-owned row by id; another workspace's row is as good as missing."""
    row = await session.get(model, object_id)
    if row is None or getattr(row, "workspace_id", None) != workspace_id:
        return None
    return row
