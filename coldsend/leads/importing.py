"""`coldsend leads import`: a CSV file streamed into a campaign or a lead list.

Columns map to lead fields (by header name, or `--map column=field`); the other columns become custom
variables (the lead's payload). Rows go in batches of up to MAX_ADD through the very function behind
POST /api/v2/leads/add (`lead_adding.add_many`), each batch in its own transaction, so the rules and the
counters are those of the API. A row whose cells a lead cannot hold (a name too long, a NUL character...)
is skipped as `invalid_row` where the API would refuse the whole batch.
"""

import csv
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.addresses import normalize_email
from coldsend.block_list_entries import service as block_list_service
from coldsend.db.session import session_scope
from coldsend.errors import NotFound
from coldsend.leads import adding as lead_adding
from coldsend.leads import repository as lead_repository
from coldsend.leads import service as lead_service
from coldsend.leads.schemas import MAX_ADD, LeadIn, LeadsAdd
from coldsend.models import Campaign, LeadList
from coldsend.principal import Principal
from coldsend.workspaces import service as workspace_service

# The lead fields a column can fill (custom_variables are the unmapped columns).
LEAD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "phone",
    "website",
    "personalization",
    "lt_interest_status",
    "pl_value_lead",
    "assigned_to",
)

# Header spellings recognised without --map, compared in lower case without spaces, `_` or `-`.
_ALIASES = {
    **{name.replace("_", ""): name for name in LEAD_FIELDS},
    "emailaddress": "email",
    "firstname": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "company": "company_name",
    "companyname": "company_name",
    "title": "job_title",
    "jobtitle": "job_title",
    "phonenumber": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "url": "website",
    "companywebsite": "website",
    "personalisation": "personalization",
    "icebreaker": "personalization",
    "ltintereststatus": "lt_interest_status",
    "plvaluelead": "pl_value_lead",
    "leadvalue": "pl_value_lead",
    "assignedto": "assigned_to",
}

# The reasons a row is not uploaded, in the order the summary shows them; each is one API counter.
REASONS = {
    "invalid_row": "a cell the lead cannot hold (too long, NUL, bad number or id)",
    "invalid_email": "missing or malformed email",
    "incomplete": "no email and no name (lead lists)",
    "duplicate_email": "email repeated within its batch",
    "in_blocklist": "email or domain in the block list",
    "duplicated_lead": "already in this campaign / list",
    "skipped": "already elsewhere, skipped by a --skip-if-in-* flag",
    "not_uploaded": "not uploaded (reason unknown)",
}


# `--map COLUMN=custom`: the column is a custom variable (named by its header), even if its header names
# a field.
CUSTOM = "custom"


class CsvImportError(ValueError):
    """What the operator must fix before anything is imported (exit 2)."""


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lower())


@dataclass(frozen=True)
class ColumnMapping:
    """Which CSV column fills which lead field; the rest are custom variables (by header) or ignored."""

    fields: dict[str, str]
    custom: dict[str, str]
    ignored: tuple[str, ...] = ()

    def lead_values(self, row: dict[str | None, Any]) -> dict[str, Any]:
        """The LeadIn body for one CSV row: empty cells are left out."""
        values: dict[str, Any] = {}
        for header, name in self.fields.items():
            cell = _cell(row.get(header))
            if cell:
                values[name] = int(cell) if name == "lt_interest_status" and _is_int(cell) else cell
        custom = {name: cell for header, name in self.custom.items() if (cell := _cell(row.get(header)))}
        if custom:
            values["custom_variables"] = custom
        return values


def _cell(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text) is not None


def parse_map(specs: Sequence[str]) -> dict[str, str | None]:
    """`column=field` options: column (as written) -> lead field, or None for `column=` (ignored)."""
    chosen: dict[str, str | None] = {}
    for spec in specs:
        column, eq, target = spec.partition("=")
        column, target = column.strip(), target.strip()
        if not eq or not column:
            raise CsvImportError(f"--map {spec!r}: expected CSV_COLUMN=LEAD_FIELD")
        name = _ALIASES.get(_key(target)) if target else None
        if target.lower() == CUSTOM:
            name = CUSTOM
        if target and name is None:
            raise CsvImportError(
                f"--map {spec!r}: unknown lead field {target!r} (one of {', '.join(LEAD_FIELDS)}, or custom)"
            )
        chosen[column] = name
    return chosen


def build_mapping(headers: Sequence[str], specs: Sequence[str] = ()) -> ColumnMapping:
    """Map the headers: --map first (header matched case-insensitively), then header names.

    A column a header name would map to a field --map gave to another column becomes a custom variable.
    """
    if not headers:
        raise CsvImportError("the CSV file has no header row")
    seen: set[str] = set()
    for header in headers:
        if header in seen:
            raise CsvImportError(f"the CSV header {header!r} appears twice")
        seen.add(header)
    by_lower = {header.strip().lower(): header for header in headers}
    explicit: dict[str, str | None] = {}
    for column, name in parse_map(specs).items():
        found = by_lower.get(column.lower())
        if found is None:
            raise CsvImportError(f"--map: no column {column!r} in the CSV header ({', '.join(headers)})")
        explicit[found] = name
    fields: dict[str, str] = {}
    taken: dict[str, str] = {}
    for header, name in explicit.items():
        if name is None or name == CUSTOM:
            continue
        if name in taken:
            raise CsvImportError(f"--map: columns {taken[name]!r} and {header!r} both map to {name}")
        fields[header] = name
        taken[name] = header
    custom: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        if header in explicit:
            if explicit[header] is None:
                ignored.append(header)
            elif explicit[header] == CUSTOM:
                custom[header] = header.strip()
            continue
        if not header.strip():
            ignored.append(header)
            continue
        name = _ALIASES.get(_key(header))
        if name is not None and name not in taken:
            fields[header] = name
            taken[name] = header
        else:
            custom[header] = header.strip()
    if "email" not in taken and not any(n in taken for n in ("first_name", "last_name")):
        raise CsvImportError("no column maps to email (nor to a name); use --map COLUMN=email")
    return ColumnMapping(fields=fields, custom=custom, ignored=tuple(ignored))


@dataclass
class Totals:
    """The import's counters: those of POST /leads/add summed over the batches, and `invalid_row`."""

    rows: int = 0
    total_sent: int = 0
    leads_uploaded: int = 0
    duplicated_leads: int = 0
    in_blocklist: int = 0
    skipped_count: int = 0
    invalid_email_count: int = 0
    incomplete_count: int = 0
    duplicate_email_count: int = 0
    invalid_rows: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Skipped:
    row: int  # as a spreadsheet numbers it: the header is row 1
    reason: str
    detail: str
    cells: dict[str | None, Any]


@dataclass
class ImportRequest:
    path: Path
    campaign_id: uuid.UUID | None
    list_id: uuid.UUID | None
    workspace: str | None = None
    mapping_specs: Sequence[str] = ()
    skip_if_in_workspace: bool = False
    skip_if_in_campaign: bool = False
    skip_if_in_list: bool = False
    batch_size: int = MAX_ADD
    explain_skipped: bool = False
    headers: list[str] = field(default_factory=list)


def _lines(binary: BinaryIO, progress: Callable[[int], None]) -> Iterator[str]:
    """The file's text lines (UTF-8, BOM dropped), reporting bytes consumed so far."""
    consumed = 0
    for number, raw in enumerate(binary, start=1):
        consumed += len(raw)
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise CsvImportError(f"line {number} is not UTF-8; save the CSV as UTF-8") from None
        progress(consumed)
        yield line


async def _workspace_of(session: AsyncSession, request: ImportRequest) -> uuid.UUID:
    if request.workspace:
        workspace_id = await workspace_service.resolve_for_cli(session, request.workspace)
    else:
        if request.campaign_id is not None:
            found = await session.scalar(
                select(Campaign.workspace_id).where(Campaign.id == request.campaign_id)
            )
        else:
            found = await session.scalar(select(LeadList.workspace_id).where(LeadList.id == request.list_id))
        if found is None:
            raise LookupError("Campaign not found" if request.campaign_id else "Lead list not found")
        workspace_id = found
    try:
        await lead_service.check_container(
            session, workspace_id=workspace_id, campaign_id=request.campaign_id, list_id=request.list_id
        )
    except NotFound as exc:
        raise LookupError(f"{exc.message} in workspace {workspace_id}") from None
    return workspace_id


def cli_principal(workspace_id: uuid.UUID) -> Principal:
    """The operator at the console: audit rows name no API key."""
    return Principal(
        workspace_id=workspace_id,
        key_workspace_id=workspace_id,
        api_key_id=None,
        scopes=frozenset({"all:all"}),
        ip_address="",
        user_agent="coldsend-cli",
    )


async def _explain(
    session: AsyncSession,
    request: ImportRequest,
    workspace_id: uuid.UUID,
    batch: list[tuple[int, dict[str | None, Any], LeadIn]],
    created: set[int],
    result: lead_adding.AddResult,
) -> list[Skipped]:
    """Why each lead of a batch was not uploaded, checked against the counters add_many returned."""
    reasons: dict[int, str] = {}
    seen: set[str] = set()
    pending: dict[int, str] = {}
    for index, (_row, _cells, lead_in) in enumerate(batch):
        raw = (lead_in.email or "").strip()
        if not raw:
            if index not in created:
                reasons[index] = "incomplete" if request.list_id is not None else "invalid_email"
            continue
        try:
            email = normalize_email(raw)
        except ValueError:
            reasons[index] = "invalid_email"
            continue
        if email in seen:
            reasons[index] = "duplicate_email"
            continue
        seen.add(email)
        if index not in created:
            pending[index] = email
    emails = sorted(set(pending.values()))
    blocked = await block_list_service.blocked(session, workspace_id=workspace_id, addresses=emails)
    found = await lead_repository.existing(
        session,
        workspace_id=workspace_id,
        emails=[email for email in emails if email not in blocked],
        campaign_id=request.campaign_id,
        list_id=request.list_id,
    )
    here = {email for email, _campaign_id, _list_id in found}
    for index, email in pending.items():
        reasons[index] = (
            "in_blocklist" if email in blocked else "duplicated_lead" if email in here else "skipped"
        )
    expected = {
        "invalid_email": result.invalid_email_count,
        "incomplete": result.incomplete_count,
        "duplicate_email": result.duplicate_email_count,
        "in_blocklist": result.in_blocklist,
        "duplicated_lead": result.duplicated_leads,
        "skipped": result.skipped_count,
    }
    counted = {reason: sum(1 for r in reasons.values() if r == reason) for reason in expected}
    if counted != expected:  # the API's rules changed under us: report no reason rather than a wrong one
        reasons = dict.fromkeys(reasons, "not_uploaded")
    return [
        Skipped(row=batch[index][0], reason=reason, detail=REASONS[reason], cells=batch[index][1])
        for index, reason in sorted(reasons.items())
    ]


async def _add_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    request: ImportRequest,
    principal: Principal,
    batch: list[tuple[int, dict[str | None, Any], LeadIn]],
    totals: Totals,
) -> list[Skipped]:
    add_in = LeadsAdd(
        campaign_id=request.campaign_id,
        list_id=request.list_id,
        leads=[lead_in for _row, _cells, lead_in in batch],
        skip_if_in_workspace=request.skip_if_in_workspace or None,
        skip_if_in_campaign=request.skip_if_in_campaign or None,
        skip_if_in_list=request.skip_if_in_list or None,
    )
    async with session_scope(sessionmaker) as session:
        result = await lead_adding.add_many(session, principal, add_in=add_in)
        skipped: list[Skipped] = []
        if request.explain_skipped:
            created = {index for index, *_uploaded in result.created}
            skipped = await _explain(session, request, principal.workspace_id, batch, created, result)
    totals.batches += 1
    totals.total_sent += result.total_sent
    totals.leads_uploaded += len(result.created)
    totals.duplicated_leads += result.duplicated_leads
    totals.in_blocklist += result.in_blocklist
    totals.skipped_count += result.skipped_count
    totals.invalid_email_count += result.invalid_email_count
    totals.incomplete_count += result.incomplete_count
    totals.duplicate_email_count += result.duplicate_email_count
    return skipped


def _validation_detail(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"


async def run_import(
    sessionmaker: async_sessionmaker[AsyncSession],
    request: ImportRequest,
    *,
    on_start: Callable[[int], None] = lambda _size: None,
    on_progress: Callable[[int, Totals], None] = lambda _done, _totals: None,
    on_skipped: Callable[[Skipped], None] = lambda _skipped: None,
    principal: Principal | None = None,
) -> Totals:
    """Stream the CSV in batches through add_many; the totals. LookupError / CsvImportError: nothing done."""
    async with session_scope(sessionmaker) as session:
        workspace_id = await _workspace_of(session, request)
    if principal is None:
        principal = cli_principal(workspace_id)
    elif principal.workspace_id != workspace_id:
        raise LookupError("Campaign not found" if request.campaign_id else "Lead list not found")
    totals = Totals()
    consumed = 0

    def advance(done: int) -> None:
        nonlocal consumed
        consumed = done

    with request.path.open("rb") as binary:
        on_start(request.path.stat().st_size)
        reader = csv.DictReader(_lines(binary, advance))
        request.headers = list(reader.fieldnames or [])
        mapping = build_mapping(request.headers, request.mapping_specs)
        batch: list[tuple[int, dict[str | None, Any], LeadIn]] = []
        for number, cells in enumerate(_rows(reader), start=2):
            totals.rows += 1
            try:
                lead_in = LeadIn.model_validate(mapping.lead_values(cells))
            except ValidationError as exc:
                totals.invalid_rows += 1
                if request.explain_skipped:
                    on_skipped(Skipped(number, "invalid_row", _validation_detail(exc), cells))
                continue
            batch.append((number, cells, lead_in))
            if len(batch) >= request.batch_size:
                for skipped in await _add_batch(sessionmaker, request, principal, batch, totals):
                    on_skipped(skipped)
                batch = []
                on_progress(consumed, totals)
        if batch:
            for skipped in await _add_batch(sessionmaker, request, principal, batch, totals):
                on_skipped(skipped)
        on_progress(consumed, totals)
    return totals


def _rows(reader: Iterable[dict[str | None, Any]]) -> Iterator[dict[str | None, Any]]:
    """Data rows, without the wholly blank ones."""
    for cells in reader:
        if any(_cell(value) for key, value in cells.items() if key is not None):
            yield cells


class SkippedReport:
    """The rows not uploaded, as CSV: row number, reason, detail, then the row's own columns."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("w", newline="", encoding="utf-8")
        self._writer: Any = None
        self.path = path

    def write(self, skipped: Skipped, headers: Sequence[str]) -> None:
        if self._writer is None:
            self._writer = csv.writer(self._file)
            self._writer.writerow(["row", "reason", "detail", *headers])
        self._writer.writerow(
            [skipped.row, skipped.reason, skipped.detail, *(skipped.cells.get(h) or "" for h in headers)]
        )

    def close(self, headers: Sequence[str]) -> None:
        if self._writer is None:
            csv.writer(self._file).writerow(["row", "reason", "detail", *headers])
        self._file.close()


def totals_json(totals: Totals) -> str:
    return json.dumps(totals.as_dict(), separators=(",", ":"))


# Summary rows: label, counter, reason key for the skipped report.
SUMMARY = (
    ("Rows read", "rows", None),
    ("Uploaded", "leads_uploaded", None),
    ("Already in this campaign/list", "duplicated_leads", "duplicated_lead"),
    ("In block list", "in_blocklist", "in_blocklist"),
    ("Skipped by --skip-if-in-*", "skipped_count", "skipped"),
    ("Invalid email", "invalid_email_count", "invalid_email"),
    ("Incomplete (no email, no name)", "incomplete_count", "incomplete"),
    ("Email repeated in its batch", "duplicate_email_count", "duplicate_email"),
    ("Invalid row (cell the lead cannot hold)", "invalid_rows", "invalid_row"),
)
