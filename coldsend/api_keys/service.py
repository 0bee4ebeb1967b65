import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.api_key_secrets import generate_key, hash_key
from coldsend.clock import utcnow
from coldsend.models import ApiKey

PREFIX_LENGTH = 8
MASK = "*" * 8


def masked(key: ApiKey) -> str:
    """What a stored key shows after creation: its first characters only."""
    return key.key_prefix + MASK


# A listed key, shaped in SQL as the API shows it (see `masked`), so rows validate in one step.
SHOWN_COLUMNS = (
    ApiKey.id,
    ApiKey.name,
    ApiKey.scopes,
    (ApiKey.key_prefix + MASK).label("key"),
    ApiKey.workspace_id.label("organization_id"),
    ApiKey.timestamp_created,
    ApiKey.timestamp_updated,
)


async def create(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    scopes: Sequence[str],
    admin_workspace_id: uuid.UUID | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret, which exists only in this return value.

    `admin_workspace_id`: the admin workspace making it inside its sub workspace; the key dies with that link.
    """
    secret = generate_key()
    key = ApiKey(
        workspace_id=workspace_id,
        admin_workspace_id=admin_workspace_id,
        name=name,
        scopes=list(dict.fromkeys(scopes)),
        key_hash=hash_key(secret),
        key_prefix=secret[:PREFIX_LENGTH],
    )
    session.add(key)
    await session.flush()
    return key, secret


def _page_statement(*, after: bool) -> Select[Any]:
    stmt = select(*SHOWN_COLUMNS).where(
        ApiKey.workspace_id == bindparam("workspace_id"), ApiKey.revoked_at.is_(None)
    )
    if after:
        stmt = stmt.where(ApiKey.id > bindparam("after"))
    return stmt.order_by(ApiKey.id).limit(bindparam("limit"))


# Built once: the statement and its cache key are not rebuilt on every request (measured: building them
# cost more than the query's own round trip).
_FIRST_PAGE = _page_statement(after=False)
_NEXT_PAGE = _page_statement(after=True)


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of SHOWN_COLUMNS, in id order, after the cursor; and whether more follow."""
    connection = await session.connection()
    params: dict[str, Any] = {"workspace_id": workspace_id, "limit": limit + 1}
    if after is not None:
        params["after"] = after
    rows = (await connection.execute(_FIRST_PAGE if after is None else _NEXT_PAGE, params)).all()
    return rows[:limit], len(rows) > limit


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    stmt = select(ApiKey).where(
        ApiKey.id == key_id, ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None)
    )
    key: ApiKey | None = await session.scalar(stmt)
    return key


async def revoke_made_by_admin(
    session: AsyncSession, *, workspace_id: uuid.UUID, admin_workspace_id: uuid.UUID
) -> list[str]:
    """Revoke the keys an admin workspace made inside `workspace_id`; their hashes, to drop from caches."""
    keys = await session.scalars(
        select(ApiKey).where(
            ApiKey.workspace_id == workspace_id,
            ApiKey.admin_workspace_id == admin_workspace_id,
            ApiKey.revoked_at.is_(None),
        )
    )
    hashes = []
    for key in keys:
        key.revoked_at = utcnow()
        hashes.append(key.key_hash)
    await session.flush()
    return hashes


async def revoke(session: AsyncSession, key: ApiKey) -> ApiKey:
    """Revoked keys stay stored so that using one says 'revoked' rather than 'invalid'."""
    key.revoked_at = utcnow()
    await session.flush()
    return key
