"""How a lead stops: nothing more goes to it, whatever stopped it."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import Lead, LeadStatus, Send, SendState

OPEN = (SendState.SCHEDULED, SendState.RETRY)


async def stop_lead(
    session: AsyncSession,
    lead_id: uuid.UUID,
    status: LeadStatus,
    *,
    now: datetime,
    replacing: Sequence[LeadStatus] | None = (LeadStatus.ACTIVE,),
) -> None:
    """The lead gets nothing more: its unsent steps, of every sequence, cancelled; then its status set
    while it is one of `replacing` (None: whatever it is).

    Everything that stops a lead (a bounce, a failure, an unsubscribe, a reply) locks its send rows
    before its lead row, so two of them, or one and the sender, cannot deadlock on PostgreSQL.
    """
    await session.execute(
        update(Send)
        .where(Send.lead_id == lead_id, Send.state.in_(OPEN))
        .values(state=SendState.CANCELLED, lease_owner=None, lease_expires_at=None, timestamp_updated=now)
        .execution_options(synchronize_session=False)
    )
    lead = update(Lead).where(Lead.id == lead_id)
    if replacing is not None:
        lead = lead.where(Lead.status.in_([int(value) for value in replacing]))
    await session.execute(
        lead.values(status=int(status), timestamp_updated=now).execution_options(synchronize_session=False)
    )
