"""Which campaigns send from an account: those listing its email in email_list, and those selecting it
through a custom tag in email_tag_list."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import Campaign, CustomTagMapping, ResourceType


async def account_tags(session: AsyncSession, *, workspace_id: uuid.UUID, email: str) -> set[str]:
    tags = await session.scalars(
        select(CustomTagMapping.tag_id).where(
            CustomTagMapping.workspace_id == workspace_id,
            CustomTagMapping.resource_type == ResourceType.ACCOUNT,
            CustomTagMapping.resource_id == email,
        )
    )
    return {str(tag) for tag in tags}


async def campaigns_of(
    session: AsyncSession, *, workspace_id: uuid.UUID, email: str, after: datetime | None
) -> list[Row[Any]]:
    """The campaigns using the account, oldest first, created after `after`.

    email_list and email_tag_list are JSON arrays: they are matched here rather than in SQL, which
    keeps one query for SQLite and PostgreSQL (a workspace has campaigns by the hundred, not million).
    """
    tags = await account_tags(session, workspace_id=workspace_id, email=email)
    stmt = select(
        Campaign.id,
        Campaign.name,
        Campaign.status,
        Campaign.timestamp_created,
        Campaign.email_list,
        Campaign.email_tag_list,
    ).where(Campaign.workspace_id == workspace_id)
    if after is not None:
        stmt = stmt.where(Campaign.timestamp_created > after)
    rows = (await session.execute(stmt.order_by(Campaign.timestamp_created, Campaign.id))).all()
    return [
        row for row in rows if email in (row.email_list or []) or tags.intersection(row.email_tag_list or [])
    ]


def page(rows: Sequence[Row[Any]], limit: int) -> tuple[Sequence[Row[Any]], bool]:
    """At most `limit` rows, ending where the timestamp changes, as the cursor is a bare timestamp (rows
    sharing the last one all come in this page, even past the limit); and whether more follow."""
    if len(rows) <= limit:
        return rows, False
    end = limit
    last = rows[limit - 1].timestamp_created
    if rows[limit].timestamp_created == last:
        while end > 0 and rows[end - 1].timestamp_created == last:
            end -= 1
        if end == 0:
            end = limit
            while end < len(rows) and rows[end].timestamp_created == last:
                end += 1
    return rows[:end], end < len(rows)
