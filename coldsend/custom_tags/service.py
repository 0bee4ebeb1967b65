import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts.tagging import AccountTaggable
from coldsend.campaigns.tagging import CampaignTaggable
from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.custom_tags.schemas import (
    LABEL_MAX_LENGTH,
    NO_TAG,
    CustomTagCreate,
    SelectionFilter,
    ToggleTagResource,
)
from coldsend.db.repository import get_in_workspace, keyset_rows
from coldsend.errors import Conflict, NotFound
from coldsend.models import CustomTag, CustomTagMapping, ResourceType

DUPLICATE_LABEL = "A tag with this name already exists."
SHOWN_IDS = 10


class Taggable(Protocol):
    """What tagging needs from a resource type (accounts, campaigns): registered in TAGGABLE."""

    async def resolve(
        self, session: AsyncSession, *, workspace_id: uuid.UUID, resource_ids: Sequence[str]
    ) -> dict[str, str]:
        """For each given id of an existing resource in the workspace: the key mappings store for it."""
        ...

    async def select_all(
        self, session: AsyncSession, *, workspace_id: uuid.UUID, status_filter: str | None, search: str | None
    ) -> list[str]:
        """The keys of every resource in the workspace matching the status filter and the search."""
        ...


# The delete services of accounts and campaigns call `custom_tag_mappings.service.forget_resource`.
TAGGABLE: dict[ResourceType, Taggable] = {
    ResourceType.ACCOUNT: AccountTaggable(),
    ResourceType.CAMPAIGN: CampaignTaggable(),
}

SHOWN_COLUMNS = (
    CustomTag.id,
    CustomTag.timestamp_created,
    CustomTag.timestamp_updated,
    CustomTag.workspace_id.label("organization_id"),
    CustomTag.label,
    CustomTag.description,
)


def label_key(label: str) -> str:
    """The label as uniqueness sees it: trimmed and case-folded."""
    return label.strip().casefold()[:LABEL_MAX_LENGTH]


async def _check_label_free(
    session: AsyncSession, *, workspace_id: uuid.UUID, label: str, except_id: uuid.UUID | None = None
) -> None:
    stmt = select(CustomTag.id).where(
        CustomTag.workspace_id == workspace_id, CustomTag.label_key == label_key(label)
    )
    if except_id is not None:
        stmt = stmt.where(CustomTag.id != except_id)
    if await session.scalar(stmt) is not None:
        raise Conflict(DUPLICATE_LABEL)


async def _flush(session: AsyncSession) -> None:
    """A concurrent request may take the label between the check and the write."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(DUPLICATE_LABEL) from None


async def create(session: AsyncSession, *, workspace_id: uuid.UUID, tag_in: CustomTagCreate) -> CustomTag:
    await _check_label_free(session, workspace_id=workspace_id, label=tag_in.label)
    tag = CustomTag(
        workspace_id=workspace_id,
        label=tag_in.label.strip(),
        label_key=label_key(tag_in.label),
        description=tag_in.description,
    )
    session.add(tag)
    await _flush(session)
    return tag


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    search: str | None = None,
    resource_ids: Sequence[str] | None = None,
    tag_ids: Sequence[uuid.UUID] | None = None,
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of SHOWN_COLUMNS, oldest first; `resource_ids` keeps tags on any of those resources."""
    stmt = select(*SHOWN_COLUMNS).where(CustomTag.workspace_id == workspace_id)
    if search:
        stmt = stmt.where(func.lower(CustomTag.label).contains(search.strip().lower(), autoescape=True))
    if tag_ids is not None:
        stmt = stmt.where(CustomTag.id.in_(tag_ids))
    if resource_ids is not None:
        on_resources = select(CustomTagMapping.tag_id).where(
            CustomTagMapping.workspace_id == workspace_id, CustomTagMapping.resource_id.in_(resource_ids)
        )
        stmt = stmt.where(CustomTag.id.in_(on_resources))
    return await keyset_rows(session, stmt, key=CustomTag.id, limit=limit, after=after)


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, tag_id: uuid.UUID) -> CustomTag | None:
    return await get_in_workspace(session, CustomTag, workspace_id, tag_id)


async def update(session: AsyncSession, tag: CustomTag, *, changes: dict[str, Any]) -> CustomTag:
    if "label" in changes:
        label: str = changes["label"]
        await _check_label_free(session, workspace_id=tag.workspace_id, label=label, except_id=tag.id)
        tag.label = label.strip()
        tag.label_key = label_key(label)
    if "description" in changes:
        tag.description = changes["description"]
    await _flush(session)
    return tag


async def delete(session: AsyncSession, tag: CustomTag) -> None:
    """The tag and, with it, every mapping of it."""
    await mapping_service.forget_tag(session, tag_id=tag.id)
    await session.delete(tag)
    await session.flush()


def _not_found(what: str, ids: Sequence[object]) -> NotFound:
    shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
    more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
    return NotFound(f"{what} not found in this workspace: {shown}{more}")


async def _existing_tags(
    session: AsyncSession, *, workspace_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(tag_ids))
    found = set(
        await session.scalars(
            select(CustomTag.id).where(CustomTag.workspace_id == workspace_id, CustomTag.id.in_(wanted))
        )
    )
    missing = [tag_id for tag_id in wanted if tag_id not in found]
    if missing:
        raise _not_found("Custom tags", missing)
    return wanted


def _matches_tags(tags: set[uuid.UUID], selection: SelectionFilter) -> bool:
    if selection.tag_id == NO_TAG and tags:
        return False
    if isinstance(selection.tag_id, uuid.UUID) and selection.tag_id not in tags:
        return False
    if selection.tag_ids and not tags.intersection(selection.tag_ids):
        return False
    return not (selection.tag_ids_all and not tags.issuperset(selection.tag_ids_all))


async def _selected(
    session: AsyncSession, taggable: Taggable, *, workspace_id: uuid.UUID, toggle: ToggleTagResource
) -> list[str]:
    """The keys of the resources a toggle acts on."""
    if not toggle.selected_all:
        ids = list(dict.fromkeys(toggle.resource_ids or []))
        keys = await taggable.resolve(session, workspace_id=workspace_id, resource_ids=ids)
        missing = [resource_id for resource_id in ids if resource_id not in keys]
        if missing:
            raise _not_found(f"{toggle.resource_type.name.capitalize()}s", missing)
        return list(dict.fromkeys(keys.values()))
    keys_all = await taggable.select_all(
        session, workspace_id=workspace_id, status_filter=toggle.status_filter(), search=toggle.search_term()
    )
    if toggle.excluded_resource_ids:
        excluded = await taggable.resolve(
            session, workspace_id=workspace_id, resource_ids=toggle.excluded_resource_ids
        )
        dropped = set(excluded.values())
        keys_all = [key for key in keys_all if key not in dropped]
    if isinstance(toggle.filter, SelectionFilter):
        tags = await mapping_service.tagged(
            session, workspace_id=workspace_id, resource_type=toggle.resource_type, resource_ids=keys_all
        )
        keys_all = [key for key in keys_all if _matches_tags(tags.get(key, set()), toggle.filter)]
    return keys_all


async def toggle_resources(
    session: AsyncSession, *, workspace_id: uuid.UUID, toggle: ToggleTagResource
) -> None:
    """Put tags on (or take them off) accounts or campaigns, by ids or by selection.

    Every tag and every listed resource must exist in the workspace, otherwise nothing changes (404).
    """
    tag_ids = await _existing_tags(session, workspace_id=workspace_id, tag_ids=toggle.tag_ids)
    taggable = TAGGABLE[toggle.resource_type]
    keys = await _selected(session, taggable, workspace_id=workspace_id, toggle=toggle)
    if not keys:
        return
    change = mapping_service.assign if toggle.assign else mapping_service.unassign
    await change(
        session,
        workspace_id=workspace_id,
        tag_ids=tag_ids,
        resource_type=toggle.resource_type,
        resource_ids=keys,
    )
