"""CSV import: upload, map the columns (lead fields, custom variables, ignored), then follow the import, which
runs through the same import service as `coldsend leads import` and POST /leads/add, with a live progress bar
and the skipped rows with their reasons."""

import asyncio
import csv
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile

from coldsend.campaigns import service as campaign_service
from coldsend.errors import BadRequest, ColdsendError, NotFound
from coldsend.lead_lists import service as list_service
from coldsend.leads import importing
from coldsend.principal import Principal
from coldsend.web.context import CurrentMember, Db, Form, Member, core, settings_of, show, text
from coldsend.web.render import redirect

router = APIRouter(prefix="/leads/import")

MAX_SHOWN_SKIPPED = 1000
HEADER_BYTES = 64 * 1024


@dataclass
class Upload:
    """An import in this process: the uploaded file, its target, and how far it got."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    path: Path
    headers: list[str]
    campaign_id: uuid.UUID | None
    list_id: uuid.UUID | None
    target_name: str
    started: bool = False
    email_header: str | None = None  # the column mapped to email, shown beside each skipped row
    total: int = 0
    done: int = 0
    totals: importing.Totals = field(default_factory=importing.Totals)
    skipped: list[importing.Skipped] = field(default_factory=list)
    skipped_count: int = 0
    finished: bool = False
    error: str | None = None
    task: asyncio.Task[None] | None = None


def _uploads(request: Request) -> dict[uuid.UUID, Upload]:
    state = core(request)
    uploads: dict[uuid.UUID, Upload] | None = getattr(state, "csv_uploads", None)
    if uploads is None:
        uploads = state.csv_uploads = {}
    return uploads


def _upload(request: Request, member: Member, upload_id: uuid.UUID) -> Upload:
    upload = _uploads(request).get(upload_id)
    if upload is None or upload.workspace_id != member.principal.workspace_id:
        raise NotFound("There is no such import")
    return upload


async def _targets(db: Db, member: Member) -> tuple[list[Any], list[Any]]:
    workspace_id = member.principal.workspace_id
    campaigns, _ = await campaign_service.list_page(
        db, workspace_id=workspace_id, filters=campaign_service.Filters(), limit=500, after=None
    )
    lists, _ = await list_service.list_page(
        db, workspace_id=workspace_id, filters=list_service.Filters(), limit=500, after=None
    )
    return list(campaigns), list(lists)


@router.get("")
async def upload_form(member: CurrentMember, db: Db, campaign: str = "", list_id: str = "") -> HTMLResponse:
    member.require("createLead")
    campaigns, lists = await _targets(db, member)
    return await show(
        db,
        member,
        "leads/import.html",
        section="leads",
        campaigns=campaigns,
        lists=lists,
        chosen_campaign=campaign,
        chosen_list=list_id,
        error=None,
    )


async def _target(db: Db, member: Member, raw: str) -> tuple[uuid.UUID | None, uuid.UUID | None, str]:
    kind, _, value = raw.partition(":")
    try:
        target_id = uuid.UUID(value)
    except ValueError:
        raise BadRequest("Choose the campaign or lead list the leads go to") from None
    workspace_id = member.principal.workspace_id
    if kind == "campaign":
        campaign = await campaign_service.get(db, workspace_id=workspace_id, campaign_id=target_id)
        if campaign is None:
            raise NotFound("Campaign not found")
        return campaign.id, None, f"campaign {campaign.name}"
    lead_list = await list_service.get(db, workspace_id=workspace_id, list_id=target_id)
    if lead_list is None:
        raise NotFound("Lead list not found")
    return None, lead_list.id, f"lead list {lead_list.name}"


def _headers(path: Path) -> list[str]:
    with path.open("rb") as binary:
        head = binary.read(HEADER_BYTES).decode("utf-8-sig", errors="replace")
    first = head.splitlines()[0] if head.strip() else ""
    headers = next(csv.reader(io.StringIO(first)), [])
    importing.build_mapping(headers)  # no header, repeated headers, no email column: said now
    return headers


@router.post("")
async def upload(request: Request, member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createLead")
    campaign_id, list_id, name = await _target(db, member, text(form, "target"))
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise BadRequest("Choose a CSV file")
    directory = settings_of(request).data_dir / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    upload_id = uuid.uuid4()
    path = directory / f"{upload_id}.csv"
    with path.open("wb") as out:
        while chunk := await file.read(1024 * 1024):
            out.write(chunk)
    try:
        headers = _headers(path)
    except importing.CsvImportError as exc:
        path.unlink(missing_ok=True)
        raise BadRequest(str(exc).replace("use --map COLUMN=email", "map a column to email")) from None
    _uploads(request)[upload_id] = Upload(
        id=upload_id,
        workspace_id=member.principal.workspace_id,
        path=path,
        headers=headers,
        campaign_id=campaign_id,
        list_id=list_id,
        target_name=name,
    )
    return redirect(f"/leads/import/{upload_id}")


def _default_choice(mapping: importing.ColumnMapping, header: str) -> str:
    if header in mapping.fields:
        return mapping.fields[header]
    return "" if header in mapping.ignored else importing.CUSTOM


@router.get("/{upload_id}")
async def mapping_or_progress(
    request: Request, upload_id: uuid.UUID, member: CurrentMember, db: Db
) -> HTMLResponse:
    member.require("createLead")
    current = _upload(request, member, upload_id)
    mapping = importing.build_mapping(current.headers)
    return await show(
        db,
        member,
        "leads/import_run.html",
        section="leads",
        upload=current,
        fields=importing.LEAD_FIELDS,
        choices={header: _default_choice(mapping, header) for header in current.headers},
        reasons=importing.REASONS,
        summary=importing.SUMMARY,
    )


@router.post("/{upload_id}/start")
async def start(request: Request, upload_id: uuid.UUID, member: CurrentMember, form: Form) -> Response:
    member.require("createLead")
    current = _upload(request, member, upload_id)
    if current.started:
        return redirect(f"/leads/import/{upload_id}")
    specs = [f"{header}={text(form, f'column-{index}')}" for index, header in enumerate(current.headers)]
    try:
        mapping = importing.build_mapping(current.headers, specs)
    except importing.CsvImportError as exc:
        member.notify(
            str(exc).replace("--map", "Mapping").replace("use Mapping COLUMN=email", "map one to email"),
            error=True,
        )
        return redirect(f"/leads/import/{upload_id}")
    import_request = importing.ImportRequest(
        path=current.path,
        campaign_id=current.campaign_id,
        list_id=current.list_id,
        workspace=str(current.workspace_id),
        mapping_specs=specs,
        skip_if_in_workspace=form.get("skip_if_in_workspace") == "on",
        skip_if_in_campaign=form.get("skip_if_in_campaign") == "on",
        skip_if_in_list=form.get("skip_if_in_list") == "on",
        explain_skipped=True,
    )
    current.started = True
    current.email_header = next((h for h, name in mapping.fields.items() if name == "email"), None)
    current.task = asyncio.create_task(
        _run(core(request).sessionmaker, current, import_request, member.principal)
    )
    return redirect(f"/leads/import/{upload_id}")


async def _run(
    sessionmaker: async_sessionmaker[AsyncSession],
    current: Upload,
    import_request: importing.ImportRequest,
    principal: Principal,
) -> None:
    def progress(done: int, totals: importing.Totals) -> None:
        current.done, current.totals = done, totals

    def skipped(row: importing.Skipped) -> None:
        current.skipped_count += 1
        if len(current.skipped) < MAX_SHOWN_SKIPPED:
            current.skipped.append(row)

    def started(size: int) -> None:
        current.total = size

    try:
        current.totals = await importing.run_import(
            sessionmaker,
            import_request,
            on_start=started,
            on_progress=progress,
            on_skipped=skipped,
            principal=principal,
        )
    except (LookupError, importing.CsvImportError) as exc:
        current.error = str(exc)
    except ColdsendError as exc:
        current.error = exc.message
    finally:
        current.finished = True
        current.path.unlink(missing_ok=True)


@router.get("/{upload_id}/status")
async def status(request: Request, upload_id: uuid.UUID, member: CurrentMember) -> JSONResponse:
    member.require("createLead")
    current = _upload(request, member, upload_id)
    return JSONResponse(
        {
            "done": current.done,
            "total": current.total,
            "rows": current.totals.rows,
            "uploaded": current.totals.leads_uploaded,
            "skipped": current.skipped_count,
            "finished": current.finished,
            "error": current.error,
        }
    )
