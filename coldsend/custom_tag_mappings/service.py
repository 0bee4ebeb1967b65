import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.repository import keyset_rows
from coldsend.models import CustomTagMapping, ResourceType

# Bound parameters per statement stay well under SQLite's limit.
BATCH = 500


def batched(values: Iterable[str], size: int = BATCH) -> Iterator[list[str]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


SHOWN_COLUMNS = (
    CustomTagMapping.id,
    CustomTagMapping.tag_id,
    CustomTagMapping.resource_id,
    CustomTagMapping.resource_type,
    CustomTagMapping.timestamp_created,
    CustomTagMapping.workspace_id.label("organization_id"),
)


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    resource_ids: Sequence[str] | None = None,
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of SHOWN_COLUMNS, oldest first."""
    stmt = select(*SHOWN_COLUMNS).where(CustomTagMapping.workspace_id == workspace_id)
    if resource_ids is not None:
        stmt = stmt.where(CustomTagMapping.resource_id.in_(resource_ids))
    return await keyset_rows(session, stmt, key=CustomTagMapping.id, limit=limit, after=after)


async def tagged(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    resource_type: ResourceType,
    resource_ids: Collection[str],
) -> dict[str, set[uuid.UUID]]:
    """The tag ids on each of `resource_ids` (resources without tags are left out)."""
    tags: dict[str, set[uuid.UUID]] = {}
    for chunk in batched(resource_ids):
        rows = await session.execute(
            select(CustomTagMapping.resource_id, CustomTagMapping.tag_id).where(
                CustomTagMapping.workspace_id == workspace_id,
                CustomTagMapping.resource_type == resource_type,
                CustomTagMapping.resource_id.in_(chunk),
            )
        )
        for resource_id, tag_id in rows:
            tags.setdefault(resource_id, set()).add(tag_id)
    return tags


async def assign(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    tag_ids: Iterable[uuid.UUID],
    resource_type: ResourceType,
    resource_ids: Collection[str],
) -> None:
    """Put every tag on every resource; pairs already there stay as they are."""
    present = await tagged(
        session, workspace_id=workspace_id, resource_type=resource_type, resource_ids=resource_ids
    )
    session.add_all(
        CustomTagMapping(
            workspace_id=workspace_id, tag_id=tag_id, resource_type=resource_type, resource_id=resource_id
        )
        for tag_id in tag_ids
        for resource_id in resource_ids
        if tag_id not in present.get(resource_id, ())
    )
    await session.flush()


async def unassign(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    tag_ids: Collection[uuid.UUID],
    resource_type: ResourceType,
    resource_ids: Collection[str],
) -> None:
    for chunk in batched(resource_ids):
        await session.execute(
            delete(CustomTagMapping).where(
                CustomTagMapping.workspace_id == workspace_id,
                CustomTagMapping.resource_type == resource_type,
                CustomTagMapping.tag_id.in_(tag_ids),
                CustomTagMapping.resource_id.in_(chunk),
            )
        )


async def forget_tag(session: AsyncSession, *, tag_id: uuid.UUID) -> None:
    """Drop a tag's mappings (the foreign key cascades too; this keeps the ORM session in step)."""
    await session.execute(delete(CustomTagMapping).where(CustomTagMapping.tag_id == tag_id))


async def forget_resource(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    resource_type: ResourceType,
    resource_ids: Collection[str],
) -> None:
    """Remove every tag from resources that are being deleted.

    `resource_id` cannot carry a foreign key (it points at accounts or campaigns), so integrity is
    kept here: the delete services of accounts and campaigns (single and bulk) must call this, in
    the same unit of work, with the same keys their `Taggable` resolves ids to.
    """
    for chunk in batched(resource_ids):
        await session.execute(
            delete(CustomTagMapping).where(
                CustomTagMapping.workspace_id == workspace_id,
                CustomTagMapping.resource_type == resource_type,
                CustomTagMapping.resource_id.in_(chunk),
            )
        )
