"""Campaign subsequences: follow-up sequences a campaign's leads enter when they meet `conditions`.

Leads enter and leave through `enter` / `leave` (the lead's `subsequence_id`); what triggers that
(replies, interest changes, activity) is decided elsewhere.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns.schedule import in_schedule
from coldsend.clock import iso_z, utcnow
from coldsend.db.repository import keyset_rows
from coldsend.errors import BadRequest
from coldsend.models import Campaign, CampaignSubsequence, DailyLimitMode, Lead
from coldsend.subsequences.schemas import SubsequenceStatus

SHOWN_COLUMNS = (
    CampaignSubsequence.id,
    CampaignSubsequence.timestamp_created,
    CampaignSubsequence.parent_campaign_id.label("parent_campaign"),
    CampaignSubsequence.workspace_id.label("workspace"),
    CampaignSubsequence.status,
    CampaignSubsequence.timestamp_leads_updated,
    CampaignSubsequence.name,
    CampaignSubsequence.conditions,
    CampaignSubsequence.subsequence_schedule,
    CampaignSubsequence.sequences,
    CampaignSubsequence.auto_variant_select,
    CampaignSubsequence.daily_limit_mode,
    CampaignSubsequence.daily_limit,
    CampaignSubsequence.ignore_account_daily_limit,
)

# The sending state a subsequence is in because of its status alone.
HELD_STATES = {
    SubsequenceStatus.DRAFT: "campaign_draft",
    SubsequenceStatus.PAUSED: "campaign_paused",
    SubsequenceStatus.COMPLETED: "campaign_completed",
    SubsequenceStatus.RUNNING_SUBSEQUENCES: "campaign_running_subsequences",
    SubsequenceStatus.BOUNCE_PROTECT: "campaign_bounce_protect",
    SubsequenceStatus.ACCOUNTS_UNHEALTHY: "campaign_accounts_unhealthy",
    SubsequenceStatus.ACCOUNT_SUSPENDED: "campaign_account_suspended",
}
STATE_MESSAGES = {
    "campaign_draft": "The subsequence is a draft: resume it to start sending.",
    "campaign_paused": "The subsequence is paused.",
    "campaign_completed": "The subsequence has completed.",
    "campaign_running_subsequences": "The subsequence is running its own subsequences.",
    "campaign_bounce_protect": "The subsequence is paused by bounce protection.",
    "campaign_accounts_unhealthy": "The subsequence is paused: its sending accounts are unhealthy.",
    "campaign_account_suspended": "The subsequence is suspended.",
    "out_of_schedule": "The subsequence is outside its sending schedule.",
    "waiting_for_leads": "No lead is in the subsequence yet.",
    "no_accounts_available": "The parent campaign has no sending accounts.",
    "healthy": "The subsequence is sending.",
}


@dataclass(frozen=True, slots=True)
class Filters:
    parent_campaign: uuid.UUID | None = None
    parent_campaign_not: uuid.UUID | None = None
    search: str | None = None


async def campaign_in_workspace(
    session: AsyncSession, *, workspace_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
    campaign: Campaign | None = await session.scalar(stmt)
    return campaign


async def create(
    session: AsyncSession, *, parent: Campaign, name: str, conditions: dict[str, Any], fields: dict[str, Any]
) -> CampaignSubsequence:
    """`fields` are the optional writable fields sent; a missing schedule is the parent's."""
    subsequence = CampaignSubsequence(
        workspace_id=parent.workspace_id,
        parent_campaign_id=parent.id,
        name=name,
        status=SubsequenceStatus.DRAFT,
        conditions=conditions,
        subsequence_schedule=fields.pop("subsequence_schedule", None) or parent.campaign_schedule,
        sequences=fields.pop("sequences", None) or [],
        daily_limit_mode=fields.pop("daily_limit_mode", None) or DailyLimitMode.INHERIT,
        ignore_account_daily_limit=bool(fields.pop("ignore_account_daily_limit", False)),
        timestamp_leads_updated=utcnow(),
        **fields,
    )
    session.add(subsequence)
    await session.flush()
    return subsequence


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, subsequence_id: uuid.UUID
) -> CampaignSubsequence | None:
    stmt = select(CampaignSubsequence).where(
        CampaignSubsequence.id == subsequence_id, CampaignSubsequence.workspace_id == workspace_id
    )
    subsequence: CampaignSubsequence | None = await session.scalar(stmt)
    return subsequence


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, filters: Filters, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[Row[Any]], bool]:
    """Rows of SHOWN_COLUMNS in id (creation) order."""
    stmt = select(*SHOWN_COLUMNS).where(CampaignSubsequence.workspace_id == workspace_id)
    if filters.parent_campaign is not None:
        stmt = stmt.where(CampaignSubsequence.parent_campaign_id == filters.parent_campaign)
    if filters.parent_campaign_not is not None:
        stmt = stmt.where(CampaignSubsequence.parent_campaign_id != filters.parent_campaign_not)
    if filters.search:
        stmt = stmt.where(CampaignSubsequence.name.icontains(filters.search, autoescape=True))
    return await keyset_rows(session, stmt, key=CampaignSubsequence.id, limit=limit, after=after)


async def update_fields(
    session: AsyncSession, subsequence: CampaignSubsequence, *, changes: dict[str, Any]
) -> CampaignSubsequence:
    for field, value in changes.items():
        setattr(subsequence, field, value)
    await session.flush()
    return subsequence


async def remove(session: AsyncSession, subsequence: CampaignSubsequence) -> None:
    """Its leads leave it first (they stay in the parent campaign)."""
    await session.execute(
        update(Lead)
        .where(Lead.subsequence_id == subsequence.id)
        .values(subsequence_id=None, timestamp_added_subsequence=None)
        .execution_options(synchronize_session=False)
    )
    await session.delete(subsequence)
    await session.flush()


async def duplicate(
    session: AsyncSession, source: CampaignSubsequence, *, parent: Campaign, name: str | None
) -> CampaignSubsequence:
    """A draft copy under `parent`, without leads."""
    copy = CampaignSubsequence(
        workspace_id=parent.workspace_id,
        parent_campaign_id=parent.id,
        name=name or source.name,
        status=SubsequenceStatus.DRAFT,
        conditions=dict(source.conditions),
        subsequence_schedule=source.subsequence_schedule,
        sequences=list(source.sequences),
        auto_variant_select=source.auto_variant_select,
        daily_limit_mode=source.daily_limit_mode,
        daily_limit=source.daily_limit,
        ignore_account_daily_limit=source.ignore_account_daily_limit,
        timestamp_leads_updated=utcnow(),
    )
    session.add(copy)
    await session.flush()
    return copy


def _has_sendable_step(sequences: list[Any]) -> bool:
    steps = (sequences[0].get("steps") or []) if sequences else []
    return any(not variant.get("v_disabled") for step in steps for variant in step.get("variants") or [])


async def pause(session: AsyncSession, subsequence: CampaignSubsequence) -> CampaignSubsequence:
    """Active (or held) -> paused; pausing a paused subsequence changes nothing."""
    if subsequence.status == SubsequenceStatus.COMPLETED:
        raise BadRequest("A completed subsequence cannot be paused")
    subsequence.status = SubsequenceStatus.PAUSED
    await session.flush()
    return subsequence


async def resume(session: AsyncSession, subsequence: CampaignSubsequence) -> CampaignSubsequence:
    """Draft, paused or held -> active; it needs a step with an enabled variant to send."""
    if subsequence.status == SubsequenceStatus.COMPLETED:
        raise BadRequest("A completed subsequence cannot be resumed")
    if not _has_sendable_step(subsequence.sequences):
        raise BadRequest("The subsequence has no step with an enabled variant to send")
    subsequence.status = SubsequenceStatus.ACTIVE
    await session.flush()
    return subsequence


async def enter(session: AsyncSession, subsequence: CampaignSubsequence, lead: Lead) -> Lead:
    """The lead (of the parent campaign) enters the subsequence, leaving any other one."""
    if lead.workspace_id != subsequence.workspace_id or lead.campaign_id != subsequence.parent_campaign_id:
        raise BadRequest("The lead is not in the subsequence's parent campaign")
    now = utcnow()
    lead.subsequence_id = subsequence.id
    lead.timestamp_added_subsequence = now
    subsequence.timestamp_leads_updated = now
    await session.flush()
    return lead


async def leave(session: AsyncSession, lead: Lead) -> Lead:
    """The lead leaves its subsequence, if it is in one."""
    if lead.subsequence_id is not None:
        await session.execute(
            update(CampaignSubsequence)
            .where(CampaignSubsequence.id == lead.subsequence_id)
            .values(timestamp_leads_updated=utcnow())
            .execution_options(synchronize_session=False)
        )
        lead.subsequence_id = None
        lead.timestamp_added_subsequence = None
        await session.flush()
    return lead


async def lead_count(session: AsyncSession, subsequence: CampaignSubsequence) -> int:
    stmt = select(func.count()).where(Lead.subsequence_id == subsequence.id)
    return int(await session.scalar(stmt) or 0)


async def sending_status(
    session: AsyncSession, subsequence: CampaignSubsequence, parent: Campaign, *, now: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """Diagnostics as Instantly shapes them (the always-present fields and schedule), and the state."""
    now = now or utcnow()
    schedule = subsequence.subsequence_schedule or parent.campaign_schedule
    scheduled = in_schedule(schedule, now)
    state = HELD_STATES.get(SubsequenceStatus(subsequence.status))
    if state is None:
        if not scheduled:
            state = "out_of_schedule"
        elif not parent.email_list:
            state = "no_accounts_available"
        elif not await lead_count(session, subsequence):
            state = "waiting_for_leads"
        else:
            state = "healthy"
    healthy = state == "healthy"
    diagnostics = {
        "campaign_id": str(parent.id),
        "subsequence_id": str(subsequence.id),
        "last_updated": iso_z(now),
        "status": state,
        "issue_tracking": {
            "current_status_code": state,
            "issue_first_seen_at": None if healthy else iso_z(subsequence.timestamp_updated),
            "consecutive_loops_with_issue": 0,
            "last_healthy_send_at": None,
        },
        "schedule_status": {"in_schedule": scheduled},
    }
    return diagnostics, state
