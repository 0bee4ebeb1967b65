import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.repository import keyset_page
from coldsend.models import ActivityType, AuditLog
from coldsend.principal import Principal


async def record(
    session: AsyncSession,
    principal: Principal,
    activity_type: ActivityType,
    *,
    affected_count: int | None = None,
    campaign_id: uuid.UUID | None = None,
    webhook_id: uuid.UUID | None = None,
    subsequence_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> AuditLog:
    """Write the audit row for an activity done through the API, in the caller's transaction."""
    audit_metadata = dict(metadata or {})
    if principal.key_workspace_id != principal.workspace_id:
        # Done through x-as-workspace: the key (api_key_id) belongs to this admin workspace.
        audit_metadata["admin_workspace_id"] = str(principal.key_workspace_id)
    entry = AuditLog(
        workspace_id=principal.workspace_id,
        activity_type=int(activity_type),
        user_agent=principal.user_agent,
        ip_address=principal.ip_address,
        from_api=principal.api_key_id is not None,
        api_key_id=principal.api_key_id,
        affected_count=affected_count,
        campaign_id=campaign_id,
        webhook_id=webhook_id,
        subsequence_id=subsequence_id,
        list_id=list_id,
        audit_metadata=audit_metadata,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True, slots=True)
class Filters:
    activity_type: int | None = None
    search: str | None = None
    start_date: date | None = None
    end_date: date | None = None


def activity_label(activity_type: ActivityType) -> str:
    """`API_KEY_CREATED` -> `api key created`, the words of the spec's enum description."""
    return activity_type.name.replace("_", " ").lower()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _search(term: str) -> ColumnElement[bool]:
    """Case-insensitive substring of the user name, IP address, user agent, metadata JSON or activity name."""
    matches = [
        column.icontains(term, autoescape=True)
        for column in (AuditLog.user_name, AuditLog.ip_address, AuditLog.user_agent)
    ]
    matches.append(cast(AuditLog.audit_metadata, Text).icontains(term, autoescape=True))
    named = [int(kind) for kind in ActivityType if term.lower() in activity_label(kind)]
    if named:
        matches.append(AuditLog.activity_type.in_(named))
    return or_(*matches)


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: Filters,
    limit: int,
    after: uuid.UUID | None,
) -> tuple[Sequence[AuditLog], bool]:
    """Newest first, by id (UUIDv7, so by time); dates are whole UTC days, both ends included."""
    stmt = select(AuditLog).where(AuditLog.workspace_id == workspace_id)
    if filters.activity_type is not None:
        stmt = stmt.where(AuditLog.activity_type == filters.activity_type)
    if filters.search:
        stmt = stmt.where(_search(filters.search))
    if filters.start_date is not None:
        stmt = stmt.where(AuditLog.timestamp >= _day_start(filters.start_date))
    if filters.end_date is not None:
        stmt = stmt.where(AuditLog.timestamp < _day_start(filters.end_date + timedelta(days=1)))
    return await keyset_page(session, stmt, key=AuditLog.id, limit=limit, after=after, descending=True)
