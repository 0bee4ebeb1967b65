"""Opportunities: leads whose interest status is positive (Interested, Meeting Booked, Meeting Completed,
Won, or one of the workspace's own labels marked positive)."""

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import InterestStatus, InterestStatusLabel, Lead, LeadLabel

POSITIVE_BUILT_IN = (
    InterestStatus.INTERESTED,
    InterestStatus.MEETING_BOOKED,
    InterestStatus.MEETING_COMPLETED,
    InterestStatus.WON,
)


async def positive_values(session: AsyncSession, workspace_id: uuid.UUID) -> list[int]:
    custom = await session.scalars(
        select(LeadLabel.interest_status).where(
            LeadLabel.workspace_id == workspace_id,
            LeadLabel.interest_status_label == InterestStatusLabel.POSITIVE,
        )
    )
    return sorted({int(value) for value in POSITIVE_BUILT_IN} | set(custom))


def is_opportunity(positive: list[int]) -> ColumnElement[bool]:
    return Lead.lt_interest_status.in_(positive)
