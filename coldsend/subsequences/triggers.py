"""What moves a campaign's lead into one of its subsequences: the subsequence's `conditions` met.

A reply containing `reply_contains` (case-insensitive), an interest status listed in `crm_status`, or an
activity listed in `lead_activity`: an open (2), a click (4), or the campaign finished with the lead and
no reply came (91). Only active subsequences take leads, only a lead in no subsequence yet moves (a
stronger signal that placed it, like a reply, is not overridden by a later open), and when several
subsequences match, the oldest wins. Moving is the same as POST /leads/subsequence/move.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import IntEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import CampaignSubsequence, Lead, LeadStatus
from coldsend.subsequences.schemas import SubsequenceStatus

# A lead that bounced, unsubscribed or was skipped is written to by no sequence.
ENTERABLE = (LeadStatus.ACTIVE, LeadStatus.PAUSED, LeadStatus.COMPLETED)


class Activity(IntEnum):
    OPENED = 2
    CLICKED = 4
    COMPLETED_WITHOUT_REPLY = 91


class LeadPlace(Protocol):
    """Where a lead stands, as far as entering a subsequence goes: a `Lead`, or these columns of one."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def campaign_id(self) -> uuid.UUID | None: ...
    @property
    def subsequence_id(self) -> uuid.UUID | None: ...
    @property
    def status(self) -> int: ...


def has_active_subsequence(campaign_id: ColumnElement[uuid.UUID | None]) -> ColumnElement[bool]:
    """Whether the campaign has an active subsequence: read with the lead in the statement that counts an
    activity, it spares `on_activity` its query in the usual case, a campaign without one."""
    return exists().where(
        CampaignSubsequence.parent_campaign_id == campaign_id,
        CampaignSubsequence.status == SubsequenceStatus.ACTIVE,
    )


async def _active_subsequences(
    session: AsyncSession, campaign_ids: Iterable[uuid.UUID]
) -> list[CampaignSubsequence]:
    return list(
        await session.scalars(
            select(CampaignSubsequence)
            .where(
                CampaignSubsequence.parent_campaign_id.in_(list(campaign_ids)),
                CampaignSubsequence.status == SubsequenceStatus.ACTIVE,
            )
            .order_by(CampaignSubsequence.timestamp_created, CampaignSubsequence.id)
        )
    )


async def _enter_first(
    session: AsyncSession, lead: LeadPlace, matches: Callable[[dict[str, Any]], bool], now: datetime
) -> CampaignSubsequence | None:
    """The lead into the oldest active subsequence of its campaign whose conditions `matches`."""
    if lead.campaign_id is None or lead.subsequence_id is not None or lead.status not in ENTERABLE:
        return None
    for subsequence in await _active_subsequences(session, [lead.campaign_id]):
        if matches(subsequence.conditions or {}):
            await _enter(session, subsequence, [lead.id], now)
            return subsequence
    return None


async def _enter(
    session: AsyncSession, subsequence: CampaignSubsequence, lead_ids: list[uuid.UUID], now: datetime
) -> None:
    await session.execute(
        update(Lead)
        .where(Lead.id.in_(lead_ids), Lead.subsequence_id.is_(None))
        .values(subsequence_id=subsequence.id, timestamp_added_subsequence=now, status_summary_subseq={})
        .execution_options(synchronize_session="fetch")
    )
    subsequence.timestamp_leads_updated = now


async def on_reply(session: AsyncSession, lead: Lead, text: str, now: datetime) -> CampaignSubsequence | None:
    """A reply (not an auto-reply) came in with `text`."""
    said = text.casefold()

    def contains(conditions: dict[str, Any]) -> bool:
        phrase = str(conditions.get("reply_contains") or "").strip().casefold()
        return bool(phrase) and phrase in said

    return await _enter_first(session, lead, contains, now)


async def on_interest_status(
    session: AsyncSession, lead: Lead, status: int | None, now: datetime
) -> CampaignSubsequence | None:
    """The lead's interest status became `status`."""
    if status is None:
        return None
    return await _enter_first(
        session, lead, lambda conditions: status in (conditions.get("crm_status") or []), now
    )


async def on_activity(
    session: AsyncSession, lead: LeadPlace, activity: Activity, now: datetime
) -> CampaignSubsequence | None:
    """The lead opened or clicked a campaign email. Tracking reads `has_active_subsequence` in the
    statement that counts the activity, and calls this only when it holds."""
    return await _enter_first(
        session, lead, lambda conditions: int(activity) in (conditions.get("lead_activity") or []), now
    )


async def on_completed_without_reply(
    session: AsyncSession, finished: dict[uuid.UUID, uuid.UUID], now: datetime
) -> int:
    """The campaign sent these leads (id -> campaign id) its last step: those that never replied enter
    a subsequence asking for `lead_activity` 91. How many entered one. Campaigns without such a
    subsequence, the usual case on the sender's path, cost one query."""
    oldest: dict[uuid.UUID, CampaignSubsequence] = {}
    for subsequence in await _active_subsequences(session, set(finished.values())):
        activities = (subsequence.conditions or {}).get("lead_activity") or []
        if int(Activity.COMPLETED_WITHOUT_REPLY) in activities:
            oldest.setdefault(subsequence.parent_campaign_id, subsequence)
    if not oldest:
        return 0
    rows = await session.execute(
        select(Lead.id, Lead.campaign_id).where(
            Lead.id.in_([lead_id for lead_id, campaign_id in finished.items() if campaign_id in oldest]),
            Lead.subsequence_id.is_(None),
            Lead.email_reply_count == 0,
            Lead.status.in_([int(status) for status in ENTERABLE]),
        )
    )
    entering: dict[uuid.UUID, list[uuid.UUID]] = {}
    for lead_id, campaign_id in rows.all():
        entering.setdefault(campaign_id, []).append(lead_id)
    for campaign_id, lead_ids in entering.items():
        await _enter(session, oldest[campaign_id], lead_ids, now)
    return sum(map(len, entering.values()))
