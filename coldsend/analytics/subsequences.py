"""Subsequence analytics: totals per subsequence of a campaign, and one subsequence by step and variant."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics import metrics
from coldsend.analytics.campaigns import engagement_by_step, step_fields, step_key
from coldsend.analytics.dates import Days
from coldsend.analytics.metrics import in_range
from coldsend.analytics.schemas import StepAnalytics, SubsequenceAnalytics
from coldsend.errors import NotFound
from coldsend.models import Campaign, CampaignSubsequence, Event
from coldsend.models.event import EventType


async def per_subsequence(
    session: AsyncSession, *, workspace_id: uuid.UUID, campaign_id: uuid.UUID
) -> list[SubsequenceAnalytics]:
    """Every subsequence of the campaign, oldest first, with zeros where nothing was sent yet."""
    campaign = await session.scalar(
        select(Campaign.id).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
    )
    if campaign is None:
        raise NotFound()
    subsequence_ids = list(
        await session.scalars(
            select(CampaignSubsequence.id)
            .where(
                CampaignSubsequence.parent_campaign_id == campaign_id,
                CampaignSubsequence.workspace_id == workspace_id,
            )
            .order_by(CampaignSubsequence.id)
        )
    )
    stmt = (
        select(
            Event.subsequence_id,
            metrics.total(EventType.SENT).label("sent"),
            metrics.leads(EventType.OPENED).label("opened"),
            metrics.leads(EventType.REPLIED).label("replied"),
        )
        .where(Event.workspace_id == workspace_id, Event.subsequence_id.in_(subsequence_ids))
        .group_by(Event.subsequence_id)
    )
    counts = {row.subsequence_id: row for row in await session.execute(stmt)}
    shown = []
    for subsequence_id in subsequence_ids:
        row = counts.get(subsequence_id)
        shown.append(
            SubsequenceAnalytics(
                subsequence_id=subsequence_id,
                emails_sent=int(row.sent) if row else 0,
                unique_opens=int(row.opened) if row else 0,
                unique_replies=int(row.replied) if row else 0,
            )
        )
    return shown


async def steps(
    session: AsyncSession, *, workspace_id: uuid.UUID, subsequence_id: uuid.UUID, window: Days
) -> list[StepAnalytics]:
    found = await session.scalar(
        select(CampaignSubsequence.id).where(
            CampaignSubsequence.id == subsequence_id, CampaignSubsequence.workspace_id == workspace_id
        )
    )
    if found is None:
        raise NotFound()
    engagement = await engagement_by_step(
        session,
        [
            Event.workspace_id == workspace_id,
            Event.subsequence_id == subsequence_id,
            *in_range(Event.timestamp, window.instants()),
        ],
    )
    return [StepAnalytics(**step_fields(key, engagement[key])) for key in sorted(engagement, key=step_key)]
