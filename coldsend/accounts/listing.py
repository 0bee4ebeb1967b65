"""GET /accounts: filters, the `<timestamp_created>&<email>` cursor (or a legacy ISO timestamp), offset
paging with sort_by, and the tags of each account."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts.schemas import AccountFilter, AccountTag, SortColumn
from coldsend.clock import iso_z
from coldsend.errors import BadRequest
from coldsend.models import Account, AccountStatus, CustomTag, CustomTagMapping, ResourceType, WarmupStatus

CURSOR_ERROR = 'querystring/starting_after must be "<timestamp_created>&<email>" or an ISO date-time'


@dataclass(frozen=True, slots=True)
class Cursor:
    timestamp_created: datetime
    email: str | None  # None for a legacy cursor: everything created after the timestamp


@dataclass(frozen=True, slots=True)
class Filters:
    search: str | None = None
    status: int | None = None
    provider_code: int | None = None
    tag_ids: tuple[uuid.UUID, ...] | None = None
    tag_ids_all: tuple[uuid.UUID, ...] | None = None
    filter: AccountFilter | None = None


def parse_cursor(raw: str) -> Cursor:
    stamp, separator, email = raw.partition("&")
    try:
        moment = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(CURSOR_ERROR) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if separator and not email.strip():
        raise BadRequest(CURSOR_ERROR)
    return Cursor(moment.astimezone(UTC), email.strip().lower() if separator else None)


def cursor_of(account: Account) -> str:
    return f"{iso_z(account.timestamp_created)}&{account.email}"


def filter_clause(choice: AccountFilter) -> ColumnElement[bool]:
    """The ACC_FILTER_* values; pre-warmed (PW) accounts are Instantly's product, so none exist here."""
    clauses: dict[AccountFilter, ColumnElement[bool]] = {
        AccountFilter.PAUSED: Account.status == AccountStatus.PAUSED,
        AccountFilter.ERROR: Account.status < 0,
        AccountFilter.NO_CTD: Account.tracking_domain_name.is_(None),
        AccountFilter.PW_ACCOUNTS: false(),
        AccountFilter.DFY: Account.is_managed_account.is_(True),
        AccountFilter.DFY_SETUP_PENDING: and_(
            Account.is_managed_account.is_(True), Account.setup_pending.is_(True)
        ),
        AccountFilter.W_ACTIVE: Account.warmup_status == WarmupStatus.ACTIVE,
        AccountFilter.W_PAUSED: Account.warmup_status == WarmupStatus.PAUSED,
        AccountFilter.W_ERROR: Account.warmup_status < 0,
    }
    return clauses[choice]


def search_clause(term: str) -> ColumnElement[bool]:
    term = term.strip().lower()
    return or_(
        *(
            func.lower(column).contains(term, autoescape=True)
            for column in (Account.email, Account.first_name, Account.last_name)
        )
    )


def _tagged_with(workspace_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]) -> Select[tuple[str]]:
    return select(CustomTagMapping.resource_id).where(
        CustomTagMapping.workspace_id == workspace_id,
        CustomTagMapping.resource_type == ResourceType.ACCOUNT,
        CustomTagMapping.tag_id.in_(tag_ids),
    )


def where(workspace_id: uuid.UUID, filters: Filters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Account.workspace_id == workspace_id]
    if filters.search:
        clauses.append(search_clause(filters.search))
    if filters.status is not None:
        clauses.append(Account.status == filters.status)
    if filters.provider_code is not None:
        clauses.append(Account.provider_code == filters.provider_code)
    if filters.filter is not None:
        clauses.append(filter_clause(filters.filter))
    if filters.tag_ids:
        clauses.append(Account.email.in_(_tagged_with(workspace_id, filters.tag_ids)))
    for tag_id in filters.tag_ids_all or ():
        clauses.append(Account.email.in_(_tagged_with(workspace_id, [tag_id])))
    return clauses


def _after(cursor: Cursor) -> ColumnElement[bool]:
    if cursor.email is None:
        return Account.timestamp_created > cursor.timestamp_created
    return or_(
        Account.timestamp_created > cursor.timestamp_created,
        and_(Account.timestamp_created == cursor.timestamp_created, Account.email > cursor.email),
    )


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: Filters,
    limit: int,
    cursor: Cursor | None,
    sort_by: SortColumn | None,
    descending: bool,
    skip: int,
) -> tuple[Sequence[Account], bool]:
    """Oldest first by (timestamp_created, email) after the cursor; with `sort_by`, that column's order
    (descending unless told) paged by `skip`."""
    stmt = select(Account).where(*where(workspace_id, filters))
    if sort_by is None:
        if cursor is not None:
            stmt = stmt.where(_after(cursor))
        stmt = stmt.order_by(Account.timestamp_created, Account.email)
    else:
        column = getattr(Account, sort_by.value)
        ordered = column.desc() if descending else column.asc()
        stmt = stmt.order_by(ordered.nulls_last(), Account.email)
    rows = (await session.scalars(stmt.offset(skip).limit(limit + 1))).all()
    return rows[:limit], len(rows) > limit


async def tags_of(
    session: AsyncSession, *, workspace_id: uuid.UUID, emails: Sequence[str]
) -> dict[str, list[AccountTag]]:
    if not emails:
        return {}
    rows = await session.execute(
        select(CustomTagMapping.resource_id, CustomTag.id, CustomTag.label, CustomTag.description)
        .join(CustomTag, CustomTag.id == CustomTagMapping.tag_id)
        .where(
            CustomTagMapping.workspace_id == workspace_id,
            CustomTagMapping.resource_type == ResourceType.ACCOUNT,
            CustomTagMapping.resource_id.in_(emails),
        )
        .order_by(CustomTag.id)
    )
    tags: dict[str, list[AccountTag]] = {email: [] for email in emails}
    for email, tag_id, label, description in rows:
        tags[email].append(AccountTag(id=tag_id, label=label, description=description))
    return tags
