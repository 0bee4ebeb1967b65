import re
from typing import Annotated

from fastapi import APIRouter, Path, Query

from coldsend import errors
from coldsend.background_jobs import service as background_job_service
from coldsend.background_jobs.schemas import OBJECT_ID_PATTERN, BackgroundJob, SortColumn, SortOrder
from coldsend.background_jobs.service import JobFilters
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import comma_list
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import EntityType, JobStatus, JobType

router = APIRouter(prefix="/api/v2/background-jobs", tags=["BackgroundJob"])

_OBJECT_ID = re.compile(OBJECT_ID_PATTERN)
_STATUSES = frozenset(JobStatus)

IdList = Annotated[
    str | None,
    Query(description="Comma-separated job ids (24-hex)", examples=["676f3caadedbfe9abea3bab4"]),
]


def _bad_object_id(name: str) -> errors.BadRequest:
    return errors.BadRequest(f'querystring/{name} must match pattern "{OBJECT_ID_PATTERN}"')


def _object_ids(name: str, value: str | None) -> list[str] | None:
    ids = comma_list(value)
    if ids is not None and not all(_OBJECT_ID.fullmatch(one) for one in ids):
        raise _bad_object_id(name)
    return ids


def _cursor_id(value: str | None) -> str | None:
    if value is not None and not _OBJECT_ID.fullmatch(value):
        raise _bad_object_id("starting_after")
    return value


def _statuses(value: str | None) -> list[JobStatus] | None:
    statuses = comma_list(value)
    if statuses is not None and not set(statuses) <= _STATUSES:
        raise errors.BadRequest("querystring/status must be equal to one of the allowed values")
    return None if statuses is None else [JobStatus(one) for one in statuses]


@router.get(
    "",
    operation_id="listBackgroundJob",
    response_model=Page[BackgroundJob],
    responses=doc(errors.BadRequest),
    openapi_extra={"x-coldsend-notes": "Default sort: `created_at` asc; `ids`, `included_ids` both narrow"},
)
async def list_background_jobs(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    ids: IdList = None,
    included_ids: IdList = None,
    excluded_ids: IdList = None,
    type: Annotated[JobType | None, Query(description="The type of the job")] = None,
    entity_type: Annotated[EntityType | None, Query(description="The type of the entity")] = None,
    entity_id: Annotated[str | None, Query(description="Comma-separated entity ids")] = None,
    status: Annotated[
        str | None, Query(description="Comma-separated statuses", examples=["pending,in-progress"])
    ] = None,
    sort_column: Annotated[SortColumn, Query(description="The column to sort by")] = SortColumn.CREATED_AT,
    sort_order: Annotated[SortOrder, Query(description="The order to sort by")] = SortOrder.ASC,
) -> Page[BackgroundJob]:
    """List background job"""
    filters = JobFilters(
        ids=_object_ids("ids", ids),
        included_ids=_object_ids("included_ids", included_ids),
        excluded_ids=_object_ids("excluded_ids", excluded_ids),
        type=type,
        entity_type=entity_type,
        entity_ids=comma_list(entity_id),
        statuses=_statuses(status),
    )
    jobs, more = await background_job_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        sort_column=sort_column,
        sort_order=sort_order,
        limit=cursor.limit,
        after=_cursor_id(cursor.starting_after),
    )
    return Page(
        items=[BackgroundJob.model_validate(job) for job in jobs],
        next_starting_after=jobs[-1].id if more else None,
    )


@router.get(
    "/{id}",
    operation_id="getBackgroundJob",
    response_model=BackgroundJob,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={"x-coldsend-notes": "An id that is not 24 lowercase hex digits is a 400"},
)
async def get_background_job(
    id: Annotated[str, Path(pattern=OBJECT_ID_PATTERN, description="The ID of the requested item")],
    principal: Authorized,
    session: Session,
    data_fields: Annotated[
        str | None,
        Query(
            description="Comma-separated keys of `data` to include", examples=["success_count,failed_count"]
        ),
    ] = None,
) -> BackgroundJob:
    """Get background job"""
    job = await background_job_service.get(session, workspace_id=principal.workspace_id, job_id=id)
    if job is None:
        raise errors.NotFound()
    shown = BackgroundJob.model_validate(job)
    fields = comma_list(data_fields)
    if fields:
        shown.data = {key: shown.data[key] for key in fields if key in shown.data}
    return shown
