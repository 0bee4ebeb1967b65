"""How a lead stops: nothing more goes to it, whatever stopped it."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import Lead, LeadStatus, Send, SendState

OPEN = (SendState.SCHEDULED, SendState.RETRY)

_SENDS = cast(Table, Send.__table__)
_LEADS = cast(Table, Lead.__table__)
# Built once (an unsubscribe or a bounce each runs them); on the tables: nothing is synchronised.
_CANCEL_SENDS = (
    update(_SENDS)
    .where(_SENDS.c.lead_id == bindparam("lead"), _SENDS.c.state.in_(OPEN))
    .values(
        state=SendState.CANCELLED, lease_owner=None, lease_expires_at=None, timestamp_updated=bindparam("now")
    )
)
_SET_STATUS = (
    update(_LEADS)
    .where(_LEADS.c.id == bindparam("lead"))
    .values(status=bindparam("new_status"), timestamp_updated=bindparam("now"))
)
_REPLACE_STATUS = _SET_STATUS.where(_LEADS.c.status.in_(bindparam("replacing", expanding=True)))


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
    connection = await session.connection()
    await connection.execute(_CANCEL_SENDS, {"lead": lead_id, "now": now})
    values = {"lead": lead_id, "new_status": int(status), "now": now}
    if replacing is None:
        await connection.execute(_SET_STATUS, values)
    else:
        replaced = [int(value) for value in replacing]
        await connection.execute(_REPLACE_STATUS, {**values, "replacing": replaced})
