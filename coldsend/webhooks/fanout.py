"""Placeholder: the lead engineer's fan-out (facts into deliveries) replaces this module when the
branches merge. It is here so the dispatcher can call it already."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings


async def fan_out(session: AsyncSession, settings: Settings, now: datetime, limit: int) -> int:  # noqa: ARG001
    """How many deliveries were queued: none, until the real fan-out lands."""
    return 0
