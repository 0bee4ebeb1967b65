"""The workspace's emails (the Unibox rows): campaign sends, and the replies to them the inbox reads."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from coldsend.db.repository import keyset_page
from coldsend.emails.schemas import Email as EmailOut
from coldsend.emails.schemas import EmailKind, EmailMode
from coldsend.models import Email, Lead
from coldsend.models.email import EmailType

THREAD_PREFIX = "thread:"
EMAIL_TYPES = {
    EmailKind.RECEIVED: (EmailType.RECEIVED,),
    EmailKind.SENT: (EmailType.SENT_FROM_CAMPAIGN, EmailType.SENT),
    EmailKind.MANUAL: (EmailType.SENT,),
}


@dataclass(frozen=True, slots=True)
class Filters:
    search: str | None = None
    campaign_id: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    i_status: int | None = None
    eaccounts: tuple[str, ...] | None = None
    is_unread: bool | None = None
    has_reminder: bool | None = None
    mode: EmailMode | None = None
    scheduled_only: bool = False
    assigned_to: uuid.UUID | None = None
    lead: str | None = None
    company_domain: str | None = None
    marked_as_done: bool | None = None
    email_type: EmailKind | None = None
    min_timestamp_created: datetime | None = None
    max_timestamp_created: datetime | None = None
    latest_of_thread: bool = False
    lead_interest: int | None = None  # the lead's interest status now (the Unibox's filter)


def shown(email: Email, *, preview_only: bool = False) -> EmailOut:
    view = EmailOut.model_validate(email)
    if preview_only:
        view.body = {}
    return view


def _search(term: str) -> ColumnElement[bool]:
    if term.lower().startswith(THREAD_PREFIX):
        return Email.thread_id == term[len(THREAD_PREFIX) :].strip()
    return or_(
        *(
            column.icontains(term, autoescape=True)
            for column in (Email.lead, Email.to_address_email_list, Email.from_address_email, Email.subject)
        )
    )


def _latest_of_thread(workspace_id: uuid.UUID) -> ColumnElement[bool]:
    """No later email in the same thread (an email without a thread is a thread of its own)."""
    later = aliased(Email)
    return ~exists().where(
        later.workspace_id == workspace_id, later.thread_id == Email.thread_id, later.id > Email.id
    )


def _where(workspace_id: uuid.UUID, filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Email.workspace_id == workspace_id]
    if filters.search:
        clauses.append(_search(filters.search))
    if filters.campaign_id is not None:
        clauses.append(Email.campaign_id == filters.campaign_id)
    if filters.list_id is not None:
        clauses.append(Email.list_id == filters.list_id)
    if filters.i_status is not None:
        clauses.append(Email.i_status == filters.i_status)
    if filters.eaccounts:
        clauses.append(func.lower(Email.eaccount).in_(filters.eaccounts))
    if filters.is_unread is not None:
        clauses.append(Email.is_unread == 1 if filters.is_unread else func.coalesce(Email.is_unread, 0) == 0)
    if filters.has_reminder is not None:
        clauses.append(
            Email.reminder_ts.is_not(None) if filters.has_reminder else Email.reminder_ts.is_(None)
        )
    if filters.mode == EmailMode.FOCUSED:
        clauses.append(Email.is_focused == 1)
    elif filters.mode == EmailMode.OTHERS:
        clauses.append(func.coalesce(Email.is_focused, 0) == 0)
    if filters.scheduled_only:
        clauses.append(Email.ue_type == EmailType.SCHEDULED)
    if filters.assigned_to is not None:
        assigned = select(Lead.id).where(
            Lead.workspace_id == workspace_id, Lead.assigned_to == filters.assigned_to
        )
        clauses.append(Email.lead_id.in_(assigned))
    if filters.lead_interest is not None:
        interested = select(Lead.id).where(
            Lead.workspace_id == workspace_id, Lead.lt_interest_status == filters.lead_interest
        )
        clauses.append(Email.lead_id.in_(interested))
    if filters.lead:
        clauses.append(func.lower(Email.lead) == filters.lead.strip().lower())
    if filters.company_domain:
        domain = filters.company_domain.strip().lower().lstrip("@")
        clauses.append(func.lower(Email.lead).endswith(f"@{domain}", autoescape=True))
    if filters.marked_as_done:
        clauses.append(false())  # nothing can be marked as done on this server
    if filters.email_type is not None:
        clauses.append(Email.ue_type.in_(EMAIL_TYPES[filters.email_type]))
    if filters.min_timestamp_created is not None:
        clauses.append(Email.timestamp_created >= filters.min_timestamp_created)
    if filters.max_timestamp_created is not None:
        clauses.append(Email.timestamp_created <= filters.max_timestamp_created)
    if filters.latest_of_thread:
        clauses.append(_latest_of_thread(workspace_id))
    return clauses


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: Filters,
    limit: int,
    after: uuid.UUID | None,
    descending: bool,
) -> tuple[Sequence[Email], bool]:
    """By id, which is UUIDv7 and so creation order; newest first unless `descending` is false."""
    stmt = select(Email).where(*_where(workspace_id, filters))
    return await keyset_page(session, stmt, key=Email.id, limit=limit, after=after, descending=descending)


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, email_id: uuid.UUID) -> Email | None:
    email: Email | None = await session.scalar(
        select(Email).where(Email.id == email_id, Email.workspace_id == workspace_id)
    )
    return email


async def update_email(session: AsyncSession, email: Email, *, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(email, name, value)
    await session.flush()


async def delete(session: AsyncSession, email: Email) -> None:
    await session.delete(email)
    await session.flush()


async def count_unread(session: AsyncSession, *, workspace_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Email)
        .where(Email.workspace_id == workspace_id, Email.is_unread == 1)
    )
    return int(count or 0)


async def mark_thread_read(session: AsyncSession, *, workspace_id: uuid.UUID, thread_id: str) -> bool:
    """False when the workspace has no email in that thread."""
    in_thread = [Email.workspace_id == workspace_id, Email.thread_id == thread_id]
    if await session.scalar(select(Email.id).where(*in_thread).limit(1)) is None:
        return False
    await session.execute(update(Email).where(*in_thread, Email.is_unread != 0).values(is_unread=0))
    return True


async def thread(session: AsyncSession, *, workspace_id: uuid.UUID, thread_id: str) -> Sequence[Email]:
    """Every email of a thread, oldest first."""
    stmt = (
        select(Email)
        .where(Email.workspace_id == workspace_id, Email.thread_id == thread_id)
        .order_by(Email.timestamp_created, Email.id)
    )
    return (await session.scalars(stmt)).all()


async def unread_by_thread(
    session: AsyncSession, *, workspace_id: uuid.UUID, thread_ids: Sequence[str]
) -> dict[str, int]:
    """How many unread emails each of these threads holds (threads without any are left out)."""
    if not thread_ids:
        return {}
    rows = await session.execute(
        select(Email.thread_id, func.count())
        .where(Email.workspace_id == workspace_id, Email.thread_id.in_(thread_ids), Email.is_unread == 1)
        .group_by(Email.thread_id)
    )
    return {str(thread_id): int(count) for thread_id, count in rows.tuples()}
