import uuid
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


class HasId(Protocol):
    id: Any


M = TypeVar("M", bound=HasId)


async def keyset_page(
    session: AsyncSession,
    stmt: Select[tuple[M]],
    *,
    key: InstrumentedAttribute[Any],
    limit: int,
    after: Any | None,
    descending: bool = False,
) -> tuple[Sequence[M], bool]:
    """One page ordered by a unique `key`, starting after the cursor value; and whether more follow."""
    if after is not None:
        stmt = stmt.where(key < after if descending else key > after)
    stmt = stmt.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows = (await session.scalars(stmt)).all()
    return rows[:limit], len(rows) > limit


async def get_in_workspace(
    session: AsyncSession, model: type[M], workspace_id: uuid.UUID, object_id: Any
) -> M | None:
    """A workspace-owned row by id; another workspace's row is as good as missing."""
    row = await session.get(model, object_id)
    if row is None or getattr(row, "workspace_id", None) != workspace_id:
        return None
    return row
