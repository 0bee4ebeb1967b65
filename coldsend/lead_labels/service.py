"""Lead labels: a workspace's custom interest statuses.

`interest_status` values are allocated by sentiment, in bands that never meet the built-in values
(-4..4) and stay inside the -30000..30000 range subsequence `crm_status` accepts:

* positive: 5, 6, 7, ... up to 19999
* neutral: 20000, 20001, ... up to 30000
* negative: -5, -6, -7, ... down to -30000

A new label takes the next value after the furthest one in use in its band. The value is fixed for the
label's life: changing `interest_status_label` later does not move it, since leads carry it.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.clock import utcnow
from coldsend.db.repository import get_in_workspace, keyset_page
from coldsend.errors import BadRequest
from coldsend.lead_labels.classifier import Label
from coldsend.lead_labels.schemas import (
    INTEREST_STATUS_MAX,
    INTEREST_STATUS_MIN,
    LeadLabelCreate,
    LeadLabelUpdate,
)
from coldsend.models import InterestStatus, InterestStatusLabel, LeadLabel, Workspace
from coldsend.models.lead_label import ReplyLabelPrediction

BUILT_IN_STATUSES = frozenset(InterestStatus)

# sentiment -> (first value, last value); negative counts down.
BANDS: dict[InterestStatusLabel, tuple[int, int]] = {
    InterestStatusLabel.POSITIVE: (5, 19_999),
    InterestStatusLabel.NEUTRAL: (20_000, INTEREST_STATUS_MAX),
    InterestStatusLabel.NEGATIVE: (-5, INTEREST_STATUS_MIN),
}


async def next_interest_status(
    session: AsyncSession, *, workspace_id: uuid.UUID, sentiment: InterestStatusLabel
) -> int:
    first, last = BANDS[sentiment]
    low, high = min(first, last), max(first, last)
    furthest = func.min if last < first else func.max
    current = await session.scalar(
        select(furthest(LeadLabel.interest_status)).where(
            LeadLabel.workspace_id == workspace_id, LeadLabel.interest_status.between(low, high)
        )
    )
    if current is None:
        return first
    value = current + (1 if last > first else -1)
    if not low <= value <= high:
        raise BadRequest(f"This workspace has used every interest_status value for {sentiment} labels")
    return int(value)


async def create(session: AsyncSession, *, workspace_id: uuid.UUID, label_in: LeadLabelCreate) -> LeadLabel:
    # Locking the workspace row serialises value allocation between concurrent creates (PostgreSQL).
    workspace = await session.get(Workspace, workspace_id, with_for_update=True)
    assert workspace is not None
    label = LeadLabel(
        workspace_id=workspace_id,
        created_by=workspace.owner_id,
        label=label_in.label,
        interest_status_label=label_in.interest_status_label,
        interest_status=await next_interest_status(
            session, workspace_id=workspace_id, sentiment=label_in.interest_status_label
        ),
        description=label_in.description,
        use_with_ai=label_in.use_with_ai,
    )
    session.add(label)
    await session.flush()
    return label


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after_id: uuid.UUID | None = None,
    created_after: datetime | None = None,
    search: str | None = None,
    sentiment: InterestStatusLabel | None = None,
) -> tuple[Sequence[LeadLabel], bool]:
    stmt = select(LeadLabel).where(LeadLabel.workspace_id == workspace_id)
    if created_after is not None:
        stmt = stmt.where(LeadLabel.timestamp_created > created_after)
    if search:
        stmt = stmt.where(func.lower(LeadLabel.label).contains(search.lower(), autoescape=True))
    if sentiment is not None:
        stmt = stmt.where(LeadLabel.interest_status_label == sentiment)
    return await keyset_page(session, stmt, key=LeadLabel.id, limit=limit, after=after_id)


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, label_id: uuid.UUID) -> LeadLabel | None:
    return await get_in_workspace(session, LeadLabel, workspace_id, label_id)


async def update(session: AsyncSession, label: LeadLabel, *, label_in: LeadLabelUpdate) -> LeadLabel:
    for field in label_in.model_fields_set:
        setattr(label, field, getattr(label_in, field))
    await session.flush()
    return label


async def delete(session: AsyncSession, label: LeadLabel, *, reassigned_status: int | None) -> LeadLabel:
    """Delete a label; `reassigned_status` must be a built-in status or another label of the workspace.

    Leads and emails carrying `label.interest_status` move to `reassigned_status`: that update belongs
    here, before the delete, and arrives with the leads and emails tables (leads issue).
    """
    if reassigned_status is not None and reassigned_status not in BUILT_IN_STATUSES:
        target = await session.scalar(
            select(LeadLabel.id).where(
                LeadLabel.workspace_id == label.workspace_id,
                LeadLabel.interest_status == reassigned_status,
                LeadLabel.id != label.id,
            )
        )
        if target is None:
            raise BadRequest(
                "body/reassigned_status must be a built-in interest status or the interest_status "
                "of another lead label of this workspace"
            )
    await session.delete(label)
    await session.flush()
    return label


async def ai_labels(session: AsyncSession, *, workspace_id: uuid.UUID) -> list[Label]:
    """The workspace's labels with `use_with_ai`, in creation order."""
    rows = await session.scalars(
        select(LeadLabel)
        .where(LeadLabel.workspace_id == workspace_id, LeadLabel.use_with_ai.is_(True))
        .order_by(LeadLabel.id)
    )
    return [
        Label(
            name=row.label,
            interest_status=row.interest_status,
            sentiment=row.interest_status_label,
            description=row.description,
            custom=True,
        )
        for row in rows
    ]


async def spend_prediction(
    session: AsyncSession, *, workspace_id: uuid.UUID, budget: int, window: timedelta
) -> bool:
    """Count one ai-reply-label call; False (and nothing counted) when the window's budget is spent."""
    since = utcnow() - window
    await session.execute(
        sql_delete(ReplyLabelPrediction).where(
            ReplyLabelPrediction.workspace_id == workspace_id, ReplyLabelPrediction.timestamp_created <= since
        )
    )
    if budget:
        used = await session.scalar(
            select(func.count()).where(
                ReplyLabelPrediction.workspace_id == workspace_id,
                ReplyLabelPrediction.timestamp_created > since,
            )
        )
        if (used or 0) >= budget:
            return False
    session.add(ReplyLabelPrediction(workspace_id=workspace_id))
    await session.flush()
    return True
