"""POST /leads/list: every filter of the body as SQL, and keyset paging by id (or by email, distinct)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from coldsend.addresses import email_key
from coldsend.clock import utcnow
from coldsend.db.repository import keyset_rows
from coldsend.errors import BadRequest
from coldsend.lead_labels.schemas import INTEREST_STATUS_MIN
from coldsend.leads.schemas import LeadFilter, LeadsQuery, OccurrenceCount, SmartQuery
from coldsend.models import InterestStatus, LeadStatus, LeadVerificationStatus
from coldsend.models import Lead as LeadRow

# Custom label interest values, by sentiment (see lead_labels.service).
_POSITIVE_LABELS = (5, 19_999)
_NEGATIVE_LABELS = (INTEREST_STATUS_MIN, -5)

_STATUS_FILTERS = {
    LeadFilter.COMPLETED: LeadStatus.COMPLETED,
    LeadFilter.UNSUBSCRIBED: LeadStatus.UNSUBSCRIBED,
    LeadFilter.ACTIVE: LeadStatus.ACTIVE,
    LeadFilter.BOUNCED: LeadStatus.BOUNCED,
    LeadFilter.SKIPPED: LeadStatus.SKIPPED,
}
_INTEREST_FILTERS = {
    LeadFilter.INTERESTED: InterestStatus.INTERESTED,
    LeadFilter.NOT_INTERESTED: InterestStatus.NOT_INTERESTED,
    LeadFilter.MEETING_BOOKED: InterestStatus.MEETING_BOOKED,
    LeadFilter.MEETING_COMPLETED: InterestStatus.MEETING_COMPLETED,
    LeadFilter.CLOSED: InterestStatus.WON,
    LeadFilter.OUT_OF_OFFICE: InterestStatus.OUT_OF_OFFICE,
    LeadFilter.WRONG_PERSON: InterestStatus.WRONG_PERSON,
    LeadFilter.LOST: InterestStatus.LOST,
    LeadFilter.NO_SHOW: InterestStatus.NO_SHOW,
}


def _filter_clause(value: LeadFilter) -> ColumnElement[bool]:
    lead = LeadRow
    if value in _STATUS_FILTERS:
        return lead.status == int(_STATUS_FILTERS[value])
    if value in _INTEREST_FILTERS:
        return lead.lt_interest_status == int(_INTEREST_FILTERS[value])
    clauses: dict[LeadFilter, ColumnElement[bool]] = {
        LeadFilter.CONTACTED: lead.timestamp_last_contact.is_not(None),
        LeadFilter.NOT_CONTACTED: lead.timestamp_last_contact.is_(None),
        LeadFilter.CUSTOM_LABEL_POSITIVE: lead.lt_interest_status.between(*_POSITIVE_LABELS),
        LeadFilter.CUSTOM_LABEL_NEGATIVE: lead.lt_interest_status.between(*_NEGATIVE_LABELS),
        LeadFilter.RISKY: lead.verification_status.in_(
            [int(LeadVerificationStatus.RISKY), int(LeadVerificationStatus.CATCH_ALL)]
        ),
        LeadFilter.INVALID: lead.verification_status == int(LeadVerificationStatus.INVALID),
        LeadFilter.VALID: lead.verification_status == int(LeadVerificationStatus.VERIFIED),
        LeadFilter.IN_SUBSEQUENCE: lead.subsequence_id.is_not(None),
        LeadFilter.OPENED_NO_REPLY: and_(lead.email_open_count > 0, lead.email_reply_count == 0),
        LeadFilter.COMPLETED_NO_REPLY: and_(
            lead.status == int(LeadStatus.COMPLETED), lead.email_reply_count == 0
        ),
        LeadFilter.NO_OPENS: lead.email_open_count == 0,
        LeadFilter.REPLIED: lead.email_reply_count > 0,
        LeadFilter.LINK_CLICKED: lead.email_click_count > 0,
    }
    return clauses[value]


def _count_condition(
    column: InstrumentedAttribute[int], condition: OccurrenceCount | None
) -> ColumnElement[bool]:
    if condition is None:
        return column > 0
    count = condition.count
    kind = condition.condition
    if kind == "less":
        return column < count
    if kind == "equal":
        return column == count
    return column > count


def _query_clause(query: SmartQuery) -> ColumnElement[bool]:
    """One smart-view query (`actionType` + `values`)."""
    values = query.values
    days = values.occurrence_days
    since = utcnow() - timedelta(days=days) if days else None
    action = query.actionType
    counted = {
        "reply": (LeadRow.email_reply_count, LeadRow.timestamp_last_reply),
        "email-open": (LeadRow.email_open_count, LeadRow.timestamp_last_open),
        "link-click": (LeadRow.email_click_count, LeadRow.timestamp_last_click),
    }
    if action in counted:
        column, last = counted[action]
        clause = _count_condition(column, values.occurrence_count)
        return and_(clause, last >= since) if since else clause
    if action == "last-contacted":
        if since is None:
            return LeadRow.timestamp_last_contact.is_not(None)
        return LeadRow.timestamp_last_contact >= since
    if action == "lead-status-change":
        if since is None:
            return LeadRow.timestamp_last_interest_change.is_not(None)
        return LeadRow.timestamp_last_interest_change >= since
    status = values.lead_status
    if status is None or status.status is None:
        raise BadRequest("body/queries/values must have required property 'lead-status'")
    if status.condition == "is-not":
        return or_(LeadRow.lt_interest_status.is_(None), LeadRow.lt_interest_status != status.status)
    return LeadRow.lt_interest_status == status.status


def where(workspace_id: uuid.UUID, query: LeadsQuery) -> list[ColumnElement[bool]]:
    """The body's filters as SQL; all must hold."""
    lead = LeadRow
    clauses: list[ColumnElement[bool]] = [lead.workspace_id == workspace_id]
    if query.campaign is not None:
        clauses.append(lead.campaign_id == query.campaign)
    if query.list_id is not None:
        clauses.append(lead.list_id == query.list_id)
    if query.in_campaign is not None:
        clauses.append(lead.campaign_id.is_not(None) if query.in_campaign else lead.campaign_id.is_(None))
    if query.in_list is not None:
        clauses.append(lead.list_id.is_not(None) if query.in_list else lead.list_id.is_(None))
    if query.ids is not None:
        clauses.append(lead.id.in_(query.ids))
    if query.excluded_ids:
        clauses.append(lead.id.not_in(query.excluded_ids))
    if query.contacts is not None:
        clauses.append(lead.email.in_({email_key(contact)[0] for contact in query.contacts}))
    if query.organization_user_ids is not None:
        clauses.append(lead.assigned_to.in_(query.organization_user_ids))
    if query.is_website_visitor is not None:
        visitor = lead.is_website_visitor.is_(True)
        clauses.append(
            visitor if query.is_website_visitor else or_(lead.is_website_visitor.is_(None), ~visitor)
        )
    if query.enrichment_status is not None:
        clauses.append(lead.enrichment_status == int(query.enrichment_status))
    if query.esg_code == "all":
        clauses.append(lead.esg_code.is_not(None))
    elif query.esg_code == "none":
        clauses.append(lead.esg_code.is_(None))
    elif query.esg_code is not None:
        clauses.append(lead.esg_code == int(query.esg_code))
    if query.filter is not None:
        clauses.append(_filter_clause(query.filter))
    for smart in query.queries or ():
        clauses.append(_query_clause(smart))
    if query.search and query.search.strip():
        term = query.search.strip()
        clauses.append(
            or_(
                lead.email.icontains(term.lower(), autoescape=True),
                lead.first_name.icontains(term, autoescape=True),
                lead.last_name.icontains(term, autoescape=True),
            )
        )
    return clauses


@dataclass(frozen=True, slots=True)
class ListParams:
    workspace_id: uuid.UUID
    query: LeadsQuery


async def list_page(
    session: AsyncSession, columns: Sequence[Any], params: ListParams
) -> tuple[Sequence[Row[Any]], str | None]:
    """Rows of `columns` for one page, and the next cursor (None on the last page).

    By id, ascending; with `distinct_contacts`, one lead per email (its first), by email.
    """
    query = params.query
    clauses = where(params.workspace_id, query)
    if not query.distinct_contacts:
        after = None
        if query.starting_after is not None:
            try:
                after = uuid.UUID(query.starting_after)
            except ValueError:
                raise BadRequest('body/starting_after must match format "uuid"') from None
        stmt = select(*columns).where(*clauses)
        rows, more = await keyset_rows(session, stmt, key=LeadRow.id, limit=query.limit, after=after)
        return rows, str(rows[-1].id) if more else None
    connection = await session.connection()
    after_email = email_key(query.starting_after)[0] if query.starting_after is not None else None
    if connection.dialect.name == "postgresql":
        stmt = _distinct_on(columns, clauses, after_email, query.limit)
    else:
        stmt = _first_per_email(columns, clauses, after_email, query.limit)
    rows = (await connection.execute(stmt)).all()
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return page, str(page[-1].email) if more else None


def _distinct_on(
    columns: Sequence[Any], clauses: list[ColumnElement[bool]], after: str | None, limit: int
) -> Select[Any]:
    """PostgreSQL: DISTINCT ON walks (workspace_id, email, id) and stops after `limit` emails."""
    stmt = select(*columns).where(*clauses, LeadRow.email.is_not(None))
    if after is not None:
        stmt = stmt.where(LeadRow.email > after)
    return stmt.distinct(LeadRow.email).order_by(LeadRow.email, LeadRow.id).limit(limit + 1)


def _first_per_email(
    columns: Sequence[Any], clauses: list[ColumnElement[bool]], after: str | None, limit: int
) -> Select[Any]:
    """Elsewhere: each email's first lead by a window; the cursor prunes whole emails before ranking."""
    ranked = (
        select(
            LeadRow.id.label("lead_id"),
            func.row_number().over(partition_by=LeadRow.email, order_by=LeadRow.id).label("rank"),
        )
        .where(*clauses, LeadRow.email.is_not(None), *([LeadRow.email > after] if after is not None else []))
        .subquery()
    )
    return (
        select(*columns)
        .join(ranked, and_(ranked.c.lead_id == LeadRow.id, ranked.c.rank == 1))
        .order_by(LeadRow.email)
        .limit(limit + 1)
    )
