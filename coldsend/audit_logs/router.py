import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from coldsend import errors
from coldsend.audit_logs import service as audit_log_service
from coldsend.audit_logs.schemas import AuditLog
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import AuditCursor
from coldsend.http.query import trimmed
from coldsend.http.responses import doc
from coldsend.http.schemas import Page

router = APIRouter(prefix="/api/v2/audit-logs", tags=["AuditLog"])

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise errors.BadRequest(f'querystring/{name} must match format "date"') from None


async def _filters(
    activity_type: Annotated[int | None, Query(description="Filter by activity type")] = None,
    search: Annotated[
        str | None,
        Query(
            description="Case-insensitive text in the user name, IP address, user agent, "
            "metadata or activity name (e.g. `login`)"
        ),
    ] = None,
    start_date: Annotated[
        str | None, Query(description="YYYY-MM-DD (UTC): entries from the start of this day")
    ] = None,
    end_date: Annotated[
        str | None, Query(description="YYYY-MM-DD (UTC): entries up to the end of this day")
    ] = None,
) -> audit_log_service.Filters:
    return audit_log_service.Filters(
        activity_type=activity_type,
        search=trimmed(search),
        start_date=_day("start_date", start_date),
        end_date=_day("end_date", end_date),
    )


Filters = Annotated[audit_log_service.Filters, Depends(_filters)]


@router.get(
    "",
    operation_id="listAuditLog",
    response_model=Page[AuditLog],
    responses=doc(errors.BadRequest),
)
async def list_audit_logs(
    principal: Authorized, session: Session, cursor: AuditCursor, filters: Filters
) -> Page[AuditLog]:
    """List audit log

    Newest first (ids are time-ordered UUIDv7s); `next_starting_after` is the last id of the page and the
    next page holds the older entries, so paging returns each entry once.
    """
    entries, more = await audit_log_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        limit=cursor.limit,
        after=cursor.after_uuid(),
    )
    return Page(
        items=[AuditLog.model_validate(entry) for entry in entries],
        next_starting_after=str(entries[-1].id) if more else None,
    )
