"""Campaign state: create, read, list, change, copy and delete. Status changes live in flows.py."""

import copy as copying
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns.schemas import (
    Campaign as CampaignOut,
)
from coldsend.campaigns.schemas import CampaignCreate, CampaignUpdate
from coldsend.clock import utcnow
from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.db.repository import get_in_workspace, keyset_rows
from coldsend.errors import BadRequest
from coldsend.models import Account, Campaign, CampaignStatus, CustomTag, CustomTagMapping, Lead, ResourceType
from coldsend.workspace_members.membership import check_members

SHARE_DAYS = 7
LEAD_ACTIVE = 1  # Lead.status "Active": still in the sequence
# Standard lead variables (as copy writes them); any other variable name is a custom one.
CORE_VARIABLES = frozenset(
    {"firstName", "lastName", "companyName", "email", "website", "phone", "personalization", "jobTitle"}
)
# What a copy of a campaign does not take over: identity, state and per-workspace references.
NOT_COPIED = frozenset(
    {"id", "workspace_id", "status", "not_sending_status", "timestamp_created", "timestamp_updated"}
    | {"timestamp_launched", "shared_until"}
)
WORKSPACE_BOUND = frozenset({"email_list", "email_tag_list", "owned_by", "ai_sdr_id"})


@dataclass(frozen=True, slots=True)
class Filters:
    search: str | None = None
    tag_ids: tuple[uuid.UUID, ...] | None = None
    ai_sdr_id: uuid.UUID | None = None
    status: int | None = None
    exclude_status: int | None = None


def shown(source: Any) -> CampaignOut:
    """The API shape of an ORM campaign or of a row of `select(Campaign.__table__)`."""
    return CampaignOut.model_validate(source)


def _stored(body: CampaignCreate | CampaignUpdate, fields: set[str]) -> dict[str, Any]:
    """The sent fields as columns hold them: nested objects as JSON, ids as UUIDs."""
    dumped = body.model_dump(mode="json", by_alias=True, include=fields)
    for name in ("owned_by", "ai_sdr_id"):
        if dumped.get(name) is not None:
            dumped[name] = uuid.UUID(dumped[name])
    return dumped


async def _existing_accounts(
    session: AsyncSession, workspace_id: uuid.UUID, emails: Sequence[str]
) -> set[str]:
    stmt = select(Account.email).where(Account.workspace_id == workspace_id, Account.email.in_(set(emails)))
    return set(await session.scalars(stmt))


async def _check_accounts(session: AsyncSession, workspace_id: uuid.UUID, emails: Sequence[str]) -> None:
    """email_list may only name the workspace's sending accounts."""
    found = await _existing_accounts(session, workspace_id, emails) if emails else set()
    unknown = [email for email in dict.fromkeys(emails) if email not in found]
    if unknown:
        raise BadRequest(
            f"email_list holds addresses that are not accounts of this workspace: {', '.join(unknown)}"
        )


async def _check_references(
    session: AsyncSession, workspace_id: uuid.UUID, body: CampaignCreate | CampaignUpdate
) -> None:
    """email_list names the workspace's accounts, email_tag_list its tags, owned_by one of its members."""
    given = body.model_fields_set
    if "email_list" in given:
        await _check_accounts(session, workspace_id, body.email_list)
    if "email_tag_list" in given and body.email_tag_list:
        wanted = set(body.email_tag_list)
        found = await session.scalars(
            select(CustomTag.id).where(CustomTag.workspace_id == workspace_id, CustomTag.id.in_(wanted))
        )
        unknown = sorted(str(tag) for tag in wanted - set(found))
        if unknown:
            raise BadRequest(
                f"email_tag_list holds ids that are not tags of this workspace: {', '.join(unknown)}"
            )
    if "owned_by" in given:
        await check_members(
            session, workspace_id=workspace_id, user_ids=[body.owned_by], field="body/owned_by"
        )


async def sending_accounts(session: AsyncSession, campaign: Campaign) -> list[str]:
    """The emails of the workspace's accounts the campaign sends from: its email_list, then the
    accounts carrying one of its email_tag_list tags (accounts deleted since are left out)."""
    emails = list(campaign.email_list)
    if campaign.email_tag_list:
        tagged = await session.scalars(
            select(CustomTagMapping.resource_id)
            .where(
                CustomTagMapping.workspace_id == campaign.workspace_id,
                CustomTagMapping.resource_type == ResourceType.ACCOUNT,
                CustomTagMapping.tag_id.in_([uuid.UUID(tag) for tag in campaign.email_tag_list]),
            )
            .order_by(CustomTagMapping.resource_id)
        )
        emails.extend(tagged)
    emails = list(dict.fromkeys(emails))
    found = await _existing_accounts(session, campaign.workspace_id, emails) if emails else set()
    return [email for email in emails if email in found]


async def create(session: AsyncSession, *, workspace_id: uuid.UUID, campaign_in: CampaignCreate) -> Campaign:
    """A draft: creating a campaign never sends."""
    await _check_references(session, workspace_id, campaign_in)
    fields = set(CampaignCreate.model_fields)
    campaign = Campaign(
        workspace_id=workspace_id, status=CampaignStatus.DRAFT, **_stored(campaign_in, fields)
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
    return await get_in_workspace(session, Campaign, workspace_id, campaign_id)


async def _tagged(
    session: AsyncSession, workspace_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Ids of the workspace's campaigns carrying any of the tags (mappings key campaigns by str(id))."""
    keys = await session.scalars(
        select(CustomTagMapping.resource_id).where(
            CustomTagMapping.workspace_id == workspace_id,
            CustomTagMapping.resource_type == ResourceType.CAMPAIGN,
            CustomTagMapping.tag_id.in_(tag_ids),
        )
    )
    return [uuid.UUID(key) for key in set(keys)]


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, filters: Filters, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of the campaign table, oldest first."""
    stmt = select(Campaign.__table__).where(Campaign.workspace_id == workspace_id)
    if filters.search:
        stmt = stmt.where(func.lower(Campaign.name).contains(filters.search.lower(), autoescape=True))
    if filters.status is not None:
        stmt = stmt.where(Campaign.status == filters.status)
    if filters.exclude_status is not None:
        stmt = stmt.where(Campaign.status != filters.exclude_status)
    if filters.ai_sdr_id is not None:
        stmt = stmt.where(Campaign.ai_sdr_id == filters.ai_sdr_id)
    if filters.tag_ids is not None:
        stmt = stmt.where(Campaign.id.in_(await _tagged(session, workspace_id, filters.tag_ids)))
    return await keyset_rows(session, stmt, key=Campaign.id, limit=limit, after=after)


async def update(session: AsyncSession, campaign: Campaign, *, campaign_in: CampaignUpdate) -> list[str]:
    """Apply the sent fields; the names of those that changed."""
    await _check_references(session, campaign.workspace_id, campaign_in)
    changed = []
    for name, value in _stored(campaign_in, campaign_in.model_fields_set).items():
        if getattr(campaign, name) != value:
            setattr(campaign, name, value)
            changed.append(name)
    if changed:
        campaign.timestamp_updated = utcnow()
        await session.flush()
    return sorted(changed)


async def delete(session: AsyncSession, campaign: Campaign) -> None:
    """The campaign, its tags and (by foreign key) its leads."""
    await mapping_service.forget_resource(
        session,
        workspace_id=campaign.workspace_id,
        resource_type=ResourceType.CAMPAIGN,
        resource_ids=[str(campaign.id)],
    )
    await session.delete(campaign)
    await session.flush()


async def copy(session: AsyncSession, source: Campaign, *, workspace_id: uuid.UUID, name: str) -> Campaign:
    """A new draft with the source's settings and copy; in another workspace, without the source
    workspace's accounts, account tags, owner and AI agent."""
    skipped = NOT_COPIED | (WORKSPACE_BOUND if workspace_id != source.workspace_id else frozenset())
    values = {
        column.key: copying.deepcopy(getattr(source, column.key))
        for column in Campaign.__mapper__.column_attrs
        if column.key not in skipped
    }
    campaign = Campaign(
        **{**values, "workspace_id": workspace_id, "name": name, "status": CampaignStatus.DRAFT}
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def share(session: AsyncSession, campaign: Campaign) -> None:
    campaign.shared_until = utcnow() + timedelta(days=SHARE_DAYS)
    await session.flush()


def is_shared(campaign: Campaign) -> bool:
    until = campaign.shared_until
    if until is None:
        return False
    return (until if until.tzinfo else until.replace(tzinfo=utcnow().tzinfo)) > utcnow()


async def get_any(session: AsyncSession, *, campaign_id: uuid.UUID) -> Campaign | None:
    """A campaign of any workspace: only for copying shared campaigns."""
    return await session.get(Campaign, campaign_id)


async def add_variables(session: AsyncSession, campaign: Campaign, *, variables: Sequence[str]) -> bool:
    """Record variable names the copy uses, core or custom; whether anything was new."""
    core = dict(campaign.core_variables or {})
    custom = dict(campaign.custom_variables or {})
    for name in variables:
        target = core if name in CORE_VARIABLES else custom
        target.setdefault(name, "")
    if core == (campaign.core_variables or {}) and custom == (campaign.custom_variables or {}):
        return False
    campaign.core_variables = core
    campaign.custom_variables = custom
    campaign.timestamp_updated = utcnow()
    await session.flush()
    return True


async def count_launched(session: AsyncSession, *, workspace_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        Campaign.workspace_id == workspace_id, Campaign.timestamp_launched.is_not(None)
    )
    return int(await session.scalar(stmt) or 0)


async def search_by_contact(
    session: AsyncSession, *, workspace_id: uuid.UUID, email: str, sort_column: str, descending: bool
) -> Sequence[Row[Any]]:
    """Campaigns of the workspace holding a lead with this address."""
    with_lead = select(Lead.campaign_id).where(
        Lead.workspace_id == workspace_id, Lead.email == email.strip().lower(), Lead.campaign_id.is_not(None)
    )
    column = Campaign.name if sort_column == "name" else Campaign.timestamp_created
    order = [column.desc(), Campaign.id.desc()] if descending else [column.asc(), Campaign.id.asc()]
    stmt = (
        select(Campaign.__table__)
        .where(Campaign.workspace_id == workspace_id, Campaign.id.in_(with_lead))
        .order_by(*order)
    )
    connection = await session.connection()
    return (await connection.execute(stmt)).all()


async def sendable_leads(session: AsyncSession, campaign: Campaign) -> int:
    """Leads of the campaign still in the sequence (lead status 1, Active)."""
    stmt = select(func.count()).where(Lead.campaign_id == campaign.id, Lead.status == LEAD_ACTIVE)
    return int(await session.scalar(stmt) or 0)
