"""Subsequence analytics: totals per subsequence of a campaign, and one subsequence by step and variant."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.analytics import tallies
from coldsend.analytics.campaigns import step_fields, step_key
from coldsend.analytics.dates import Days
from coldsend.analytics.schemas import StepAnalytics, SubsequenceAnalytics
from coldsend.errors import NotFound
from coldsend.models import AnalyticsStepDay, Campaign, CampaignSubsequence


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
    counts = await tallies.engagement(
        session,
        "subsequence_id",
        lambda model: [model.workspace_id == workspace_id, model.subsequence_id.in_(subsequence_ids)],
        (None, None),
    )
    shown = []
    for subsequence_id in subsequence_ids:
        found = counts.get(subsequence_id, {})
        shown.append(
            SubsequenceAnalytics(
                subsequence_id=subsequence_id,
                emails_sent=found.get("sent", 0),
                unique_opens=found.get("opened_leads", 0),
                unique_replies=found.get("replies_leads", 0),
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
    days = tallies.whole_days(window.instants())
    assert days is not None  # whole days by construction
    engagement = await tallies.by_step(
        session,
        [AnalyticsStepDay.workspace_id == workspace_id, AnalyticsStepDay.subsequence_id == subsequence_id],
        days,
    )
    return [StepAnalytics(**step_fields(key, engagement[key])) for key in sorted(engagement, key=step_key)]
