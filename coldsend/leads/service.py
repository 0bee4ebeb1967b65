"""Leads: the one-by-one operations, the filtered list, and the fast bulk add.

A lead lives in one campaign or one lead list (or, created without either, in the workspace only). Its
`email` is stored normalised (lower case, IDN domains in punycode); `company_domain` is the email's domain.
"""

import operator
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Row, String, bindparam, delete, func, insert, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import normalize_email
from coldsend.audit_logs import service as audit_log_service
from coldsend.block_list_entries import service as block_list_service
from coldsend.clock import utcnow
from coldsend.db import locks
from coldsend.errors import BadRequest, NotFound
from coldsend.ids import new_id
from coldsend.leads.filters import ListParams, list_page
from coldsend.leads.schemas import (
    Lead,
    LeadCreate,
    LeadFields,
    LeadIn,
    LeadsAdd,
    LeadsDelete,
    unstorable_variable,
)
from coldsend.models import ActivityType, Campaign, LeadList, UploadMethod
from coldsend.models import Lead as LeadRow
from coldsend.principal import Principal
from coldsend.subsequences import triggers
from coldsend.verification.jobs import enqueue_lead_verification
from coldsend.workspace_members.membership import check_members

__all__ = ["SHOWN_COLUMNS", "ListParams", "list_page", "shown", "shown_rows"]

# Lead fields whose column has another name.
_RENAMED = {"organization": "workspace_id", "campaign": "campaign_id"}

# A lead as the API shows it, shaped in SQL so rows validate in one step (`shown_rows`).
SHOWN_COLUMNS = tuple(
    getattr(LeadRow, _RENAMED.get(name, name)).label(name) if name in _RENAMED else getattr(LeadRow, name)
    for name in Lead.model_fields
)

_SETTABLE = ("personalization", "website", "last_name", "first_name", "company_name", "job_title", "phone")


def shown(lead: LeadRow) -> Lead:
    """The API shape of a lead row (ORM object)."""
    return Lead.model_validate({name: getattr(lead, _RENAMED.get(name, name)) for name in Lead.model_fields})


def shown_rows(rows: Sequence[Row[Any]]) -> list[Lead]:
    """The API shape of rows selected as SHOWN_COLUMNS."""
    return [Lead.model_validate(row._asdict()) for row in rows]


def email_or_400(value: str, where: str) -> str:
    try:
        return normalize_email(value)
    except ValueError:
        raise BadRequest(f'{where} must match format "email"') from None


async def check_container(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    list_id: uuid.UUID | None,
) -> None:
    """404 unless the campaign and list given belong to the workspace."""
    if campaign_id is not None:
        found = await session.scalar(
            select(Campaign.id).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
        )
        if found is None:
            raise NotFound("Campaign not found")
    if list_id is not None:
        found = await session.scalar(
            select(LeadList.id).where(LeadList.id == list_id, LeadList.workspace_id == workspace_id)
        )
        if found is None:
            raise NotFound("Lead list not found")


async def hold_lead_writes(
    session: AsyncSession, *, workspace_id: uuid.UUID, container_id: uuid.UUID | None, workspace_wide: bool
) -> None:
    """Take, until the transaction ends, the locks that keep a duplicate check and the writes it decides
    apart from every other such check that could race it.

    A check within one campaign or list excludes others on that campaign or list; one across the
    workspace (a `skip_if_in_*` flag) excludes every other in the workspace. Without them, the same batch
    sent twice at once would find no duplicates twice and be added twice. Workspace before container,
    always, so two lockers never wait on each other.
    """
    await locks.hold(session, workspace_id, shared=not workspace_wide)
    if not workspace_wide and container_id is not None:
        await locks.hold(session, container_id)


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, lead_id: uuid.UUID) -> LeadRow | None:
    lead: LeadRow | None = await session.scalar(
        select(LeadRow).where(LeadRow.id == lead_id, LeadRow.workspace_id == workspace_id)
    )
    return lead


# The common case of `normalize_email`, checked in one regex: an ASCII address it accepts unchanged but for
# case (no surrounding space, no trailing dot, labels already valid). Anything else goes the full way.
_PLAIN_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[!#-'*+\-/0-9=?A-Z^-~]+(?:\.[!#-'*+\-/0-9=?A-Z^-~]+)*@"
    r"(?=.{1,253}\Z)(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+(?![0-9]+\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)",
    re.ASCII,
)


def _normalized(value: str) -> str:
    """`normalize_email(value)`, quicker for plain ASCII addresses; ValueError if invalid."""
    if _PLAIN_EMAIL.fullmatch(value):
        return value.lower()
    return normalize_email(value)


def _new_ids(count: int) -> list[str]:
    """`count` UUIDv7s as strings, ascending, in one go: as ordered against `new_id` as calling it
    `count` times.

    They share the millisecond of one `new_id()` (which no later `new_id()` reuses) and differ in their 74
    random bits, sorted; one `os.urandom` for all instead of one per id, and no `uuid.UUID` objects (the
    COPY and the response both want text).
    """
    if not count:
        return []
    prefix = (new_id().int >> 80) << 80 | 0x7 << 76 | 0x2 << 62
    raw = os.urandom(10 * count)
    randoms = sorted({int.from_bytes(raw[i : i + 10], "big") >> 6 for i in range(0, 10 * count, 10)})
    while len(randoms) < count:  # a repeat among 74-bit randoms: practically never
        randoms = sorted({*randoms, int.from_bytes(os.urandom(10), "big") >> 6})
    hexes = (f"{prefix | (r >> 62) << 64 | (r & 0x3FFFFFFFFFFFFFFF):032x}" for r in randoms)
    return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexes]


def _domain(email: str | None) -> str:
    return email.rpartition("@")[2] if email else ""


async def _existing(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    emails: Sequence[str],
    campaign_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
) -> list[tuple[str, uuid.UUID | None, uuid.UUID | None]]:
    """(email, campaign_id, list_id) of the leads with one of `emails`: one indexed query.

    In the campaign (or list) given, which only its (campaign_id, email) index serves; else workspace-wide.
    """
    if not emails:
        return []
    connection = await session.connection()
    columns = (LeadRow.email, LeadRow.campaign_id, LeadRow.list_id)
    if campaign_id is not None:
        scope = LeadRow.campaign_id == campaign_id
    elif list_id is not None:
        scope = LeadRow.list_id == list_id
    else:
        scope = LeadRow.workspace_id == workspace_id
    if connection.dialect.name == "postgresql":
        # One index probe per email: a LATERAL subquery kept apart (OFFSET 0) from the unnested emails,
        # planned afresh each time. Measured alternatives: a plain join scans every lead of the workspace
        # (15 ms per 1000 emails at 100,000 leads); plans cached while the table was small and unanalysed
        # degrade to a nested loop over all leads (0.4-0.8 s per batch at 10,000-20,000 leads).
        # Only for this query: left on, it has PostgreSQL plan the foreign key checks of every lead inserted
        # next afresh too (a COPY of 1000 leads took 34 ms instead of 19).
        await connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        packed = "\n".join(emails)
        wanted = (
            func.unnest(func.string_to_array(bindparam("emails", type_=String), "\n"))
            .table_valued("value")
            .render_derived(name="wanted")
        )
        found = select(*columns).where(scope, LeadRow.email == wanted.c.value).offset(0).lateral("found")
        stmt = (
            select(found.c.email, found.c.campaign_id, found.c.list_id)
            .select_from(wanted)
            .join(found, true())
        )
    else:
        packed = orjson.dumps(list(emails)).decode()
        listed = select(text("value")).select_from(func.json_each(bindparam("emails", type_=String)))
        stmt = select(*columns).where(scope, LeadRow.email.in_(listed.scalar_subquery()))
    rows = (await connection.execute(stmt, {"emails": packed})).all()
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))
    return [(row.email, row.campaign_id, row.list_id) for row in rows]


@dataclass(frozen=True, slots=True)
class SkipFlags:
    in_workspace: bool = False
    in_campaign: bool = False
    in_list: bool = False

    @property
    def any(self) -> bool:
        return self.in_workspace or self.in_campaign or self.in_list

    def skips(self, campaign_id: uuid.UUID | None, list_id: uuid.UUID | None) -> bool:
        return (
            self.in_workspace
            or (self.in_campaign and campaign_id is not None)
            or (self.in_list and list_id is not None)
        )


def _row_values(lead_in: LeadFields, email: str | None, assigned_to: uuid.UUID | None) -> dict[str, Any]:
    fields = lead_in.__dict__  # pydantic keeps a model's field values there; quicker than getattr
    values: dict[str, Any] = {name: fields[name] for name in _SETTABLE}
    values.update(
        email=email,
        company_domain=_domain(email),
        lt_interest_status=lead_in.lt_interest_status,
        pl_value_lead=lead_in.pl_value_lead,
        assigned_to=lead_in.assigned_to or assigned_to,
        payload=dict(lead_in.custom_variables) if lead_in.custom_variables else None,
    )
    return values


def _storable_or_400(lead_in: LeadFields) -> None:
    refused = unstorable_variable(lead_in.custom_variables)
    if refused:
        raise BadRequest(f"body/{refused}")


async def create(session: AsyncSession, principal: Principal, *, lead_in: LeadCreate) -> LeadRow:
    """A new lead; with a skip flag (or already in the same campaign or list), the existing lead instead."""
    _storable_or_400(lead_in)
    if lead_in.campaign is not None and lead_in.list_id is not None:
        raise BadRequest("body must not have both properties 'campaign' and 'list_id'")
    email = email_or_400(lead_in.email, "body/email") if lead_in.email else None
    if email is None and (lead_in.list_id is None or not (lead_in.first_name or lead_in.last_name)):
        raise BadRequest("body must have required property 'email'")
    workspace_id = principal.workspace_id
    await check_container(
        session, workspace_id=workspace_id, campaign_id=lead_in.campaign, list_id=lead_in.list_id
    )
    await check_members(
        session, workspace_id=workspace_id, user_ids=[lead_in.assigned_to], field="body/assigned_to"
    )
    if email is not None:
        flags = SkipFlags(
            in_workspace=bool(lead_in.skip_if_in_workspace),
            in_campaign=bool(lead_in.skip_if_in_campaign),
            in_list=bool(lead_in.skip_if_in_list),
        )
        await hold_lead_writes(
            session,
            workspace_id=workspace_id,
            container_id=lead_in.campaign or lead_in.list_id,
            workspace_wide=flags.any,
        )
        for _email, campaign_id, list_id in await _existing(
            session, workspace_id=workspace_id, emails=[email]
        ):
            same = (campaign_id, list_id) == (lead_in.campaign, lead_in.list_id)
            if same or flags.skips(campaign_id, list_id):
                existing: LeadRow | None = await session.scalar(
                    select(LeadRow)
                    .where(
                        LeadRow.workspace_id == workspace_id,
                        LeadRow.email == email,
                        LeadRow.campaign_id.is_(campaign_id)
                        if campaign_id is None
                        else LeadRow.campaign_id == campaign_id,
                        LeadRow.list_id.is_(list_id) if list_id is None else LeadRow.list_id == list_id,
                    )
                    .order_by(LeadRow.id)
                    .limit(1)
                )
                if existing is not None:
                    return existing
    now = utcnow()
    lead = LeadRow(
        id=new_id(),
        workspace_id=workspace_id,
        campaign_id=lead_in.campaign,
        list_id=lead_in.list_id,
        timestamp_created=now,
        timestamp_updated=now,
        upload_method=UploadMethod.API.value,
        timestamp_last_interest_change=now if lead_in.lt_interest_status is not None else None,
        **_row_values(lead_in, email, None),
    )
    session.add(lead)
    await session.flush()
    if lead_in.verify_leads_on_import and email is not None:
        await enqueue_lead_verification(session, workspace_id=workspace_id, lead_ids=[lead.id])
        await session.refresh(lead, ["verification_status"])
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_ADDED,
        affected_count=1,
        campaign_id=lead_in.campaign,
        list_id=lead_in.list_id,
        metadata={"lead_id": str(lead.id)},
    )
    return lead


async def update(session: AsyncSession, lead: LeadRow, *, lead_in: LeadFields) -> LeadRow:
    """Set the fields given; custom variables are merged into the payload (given keys win)."""
    given = lead_in.model_fields_set
    if "assigned_to" in given:
        await check_members(
            session, workspace_id=lead.workspace_id, user_ids=[lead_in.assigned_to], field="body/assigned_to"
        )
    for name in (*_SETTABLE, "pl_value_lead", "assigned_to"):
        if name in given:
            setattr(lead, name, getattr(lead_in, name))
    interest_changed = False
    if "lt_interest_status" in given:
        if lead_in.lt_interest_status is None:
            raise BadRequest("body/lt_interest_status must be number")
        if lead_in.lt_interest_status != lead.lt_interest_status:
            lead.lt_interest_status = lead_in.lt_interest_status
            lead.timestamp_last_interest_change = utcnow()
            interest_changed = True
    if "custom_variables" in given:
        if lead_in.custom_variables is None:
            raise BadRequest("body/custom_variables must be object")
        _storable_or_400(lead_in)
        lead.payload = {**(lead.payload or {}), **lead_in.custom_variables}
    lead.timestamp_updated = utcnow()
    await session.flush()
    if interest_changed:
        await triggers.on_interest_status(session, lead, lead.lt_interest_status, utcnow())
    return lead


async def remove(session: AsyncSession, principal: Principal, lead: LeadRow) -> Lead:
    view = shown(lead)
    await session.delete(lead)
    await session.flush()
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_DELETION,
        affected_count=1,
        campaign_id=lead.campaign_id,
        list_id=lead.list_id,
        metadata={"lead_id": str(lead.id)},
    )
    return view


async def delete_many(session: AsyncSession, principal: Principal, *, delete_in: LeadsDelete) -> int:
    """Delete the leads of a campaign and/or list matching the filters, up to `limit`; how many went."""
    workspace_id = principal.workspace_id
    await check_container(
        session, workspace_id=workspace_id, campaign_id=delete_in.campaign_id, list_id=delete_in.list_id
    )
    chosen = select(LeadRow.id).where(LeadRow.workspace_id == workspace_id)
    if delete_in.campaign_id is not None:
        chosen = chosen.where(LeadRow.campaign_id == delete_in.campaign_id)
    if delete_in.list_id is not None:
        chosen = chosen.where(LeadRow.list_id == delete_in.list_id)
    if delete_in.status is not None:
        chosen = chosen.where(LeadRow.status == int(delete_in.status))
    if delete_in.ids is not None:
        chosen = chosen.where(LeadRow.id.in_(delete_in.ids))
    if delete_in.limit is not None:
        chosen = chosen.order_by(LeadRow.id).limit(delete_in.limit)
    result = await session.execute(
        delete(LeadRow)
        .where(LeadRow.id.in_(chosen.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        await audit_log_service.record(
            session,
            principal,
            ActivityType.LEAD_DELETION,
            affected_count=count,
            campaign_id=delete_in.campaign_id,
            list_id=delete_in.list_id,
        )
    return count


_MERGED_FIELDS = (
    *_SETTABLE,
    "pl_value_lead",
    "assigned_to",
    "lt_interest_status",
    "verification_status",
    "enrichment_status",
    "esp_code",
    "esg_code",
    "email",
)
_SUMMED = ("email_open_count", "email_reply_count", "email_click_count")
_LATEST = (
    "timestamp_last_contact",
    "timestamp_last_open",
    "timestamp_last_reply",
    "timestamp_last_click",
    "timestamp_last_touch",
    "timestamp_last_interest_change",
)


async def merge(
    session: AsyncSession, principal: Principal, *, source: LeadRow, destination: LeadRow
) -> LeadRow:
    """Fold `source` into `destination` (empty fields, missing payload keys, activity); drop `source`."""
    if source.id == destination.id:
        raise BadRequest("body/lead_id must differ from body/destination_lead_id")
    for name in _MERGED_FIELDS:
        if getattr(destination, name) is None and getattr(source, name) is not None:
            setattr(destination, name, getattr(source, name))
    if not destination.company_domain:
        destination.company_domain = _domain(destination.email)
    if source.payload:
        destination.payload = {**source.payload, **(destination.payload or {})}
    for name in _SUMMED:
        setattr(destination, name, getattr(destination, name) + getattr(source, name))
    for name in _LATEST:
        theirs = getattr(source, name)
        if theirs is not None and (getattr(destination, name) is None or theirs > getattr(destination, name)):
            setattr(destination, name, theirs)
    destination.timestamp_updated = utcnow()
    await session.delete(source)
    await session.flush()
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_MERGED,
        affected_count=1,
        campaign_id=destination.campaign_id,
        list_id=destination.list_id,
        metadata={"lead_id": str(source.id), "destination_lead_id": str(destination.id)},
    )
    return destination


@dataclass
class AddResult:
    total_sent: int
    created: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    in_blocklist: int = 0
    duplicated_leads: int = 0
    skipped_count: int = 0
    invalid_email_count: int = 0
    incomplete_count: int = 0
    duplicate_email_count: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (index, reason), counted as skipped


def _sort_batch(
    add_in: LeadsAdd, result: AddResult
) -> tuple[list[tuple[int, LeadIn, str | None]], list[str]]:
    """The leads worth a look (index, lead, normalised email) and their distinct emails; counts the rest."""
    for_list = add_in.list_id is not None
    kept: list[tuple[int, LeadIn, str | None]] = []
    seen: set[str] = set()
    for index, lead_in in enumerate(add_in.leads):
        if lead_in.custom_variables and (refused := unstorable_variable(lead_in.custom_variables)):
            result.refused.append((index, f"body/leads/{index}/{refused}"))
            result.skipped_count += 1
            continue
        raw = (lead_in.email or "").strip()
        if not raw:
            if for_list and (lead_in.first_name or lead_in.last_name):
                kept.append((index, lead_in, None))
            elif for_list:
                result.incomplete_count += 1
            else:
                result.invalid_email_count += 1
            continue
        try:
            email = _normalized(raw)
        except ValueError:
            result.invalid_email_count += 1
            continue
        if email in seen:
            result.duplicate_email_count += 1
            continue
        seen.add(email)
        kept.append((index, lead_in, email))
    return kept, list(seen)


async def add_many(session: AsyncSession, principal: Principal, *, add_in: LeadsAdd) -> AddResult:
    """Bulk add: one block-list query, one query for existing leads, one INSERT for the new ones.

    Each lead lands in exactly one counter: invalid (or incomplete, for lists), repeated in the batch,
    in the block list, already in this campaign/list (`duplicated_leads`), skipped by a `skip_if_in_*`
    flag, or uploaded.
    """
    workspace_id = principal.workspace_id
    campaign_id, list_id = add_in.campaign_id, add_in.list_id
    await check_container(session, workspace_id=workspace_id, campaign_id=campaign_id, list_id=list_id)
    assignees = [add_in.assigned_to, *(lead.assigned_to for lead in add_in.leads)]
    await check_members(session, workspace_id=workspace_id, user_ids=assignees, field="body/assigned_to")
    result = AddResult(total_sent=len(add_in.leads))
    kept, emails = _sort_batch(add_in, result)
    blocked = await block_list_service.blocked(session, workspace_id=workspace_id, addresses=emails)
    here: set[str] = set()
    elsewhere: set[str] = set()
    flags = SkipFlags(
        in_workspace=bool(add_in.skip_if_in_workspace),
        in_campaign=bool(add_in.skip_if_in_campaign),
        in_list=bool(add_in.skip_if_in_list),
    )
    candidates = [email for email in emails if email not in blocked]
    wide = flags.any
    await hold_lead_writes(
        session, workspace_id=workspace_id, container_id=campaign_id or list_id, workspace_wide=wide
    )
    for email, lead_campaign, lead_list in await _existing(
        session,
        workspace_id=workspace_id,
        emails=candidates,
        campaign_id=None if wide else campaign_id,
        list_id=None if wide else list_id,
    ):
        if (lead_campaign, lead_list) == (campaign_id, list_id):
            here.add(email)
        elif flags.skips(lead_campaign, lead_list):
            elsewhere.add(email)
    rows: list[dict[str, Any]] = []
    ids = iter(_new_ids(len(kept)))
    for index, lead_in, address in kept:
        if address is not None:
            if address in blocked:
                result.in_blocklist += 1
                continue
            if address in here:
                result.duplicated_leads += 1
                continue
            if address in elsewhere:
                result.skipped_count += 1
                continue
        values = _row_values(lead_in, address, add_in.assigned_to)
        values["id"] = next(ids)
        rows.append(values)
        result.created.append((index, values["id"], values))
    if rows:
        await _insert(session, rows, workspace_id=workspace_id, campaign_id=campaign_id, list_id=list_id)
        if add_in.verify_leads_on_import:
            await enqueue_lead_verification(
                session, workspace_id=workspace_id, lead_ids=[uuid.UUID(row["id"]) for row in rows]
            )
        await audit_log_service.record(
            session,
            principal,
            ActivityType.LEAD_ADDED,
            affected_count=len(rows),
            campaign_id=campaign_id,
            list_id=list_id,
        )
    return result


_VARYING = (
    ("id", "uuid"),
    ("email", "text"),
    ("first_name", "text"),
    ("last_name", "text"),
    ("company_name", "text"),
    ("company_domain", "text"),
    ("job_title", "text"),
    ("phone", "text"),
    ("website", "text"),
    ("personalization", "text"),
    ("lt_interest_status", "int"),
    ("pl_value_lead", "text"),
    ("assigned_to", "uuid"),
    ("timestamp_last_interest_change", "timestamptz"),
)
_FIXED = (
    ("workspace_id", "uuid"),
    ("campaign_id", "uuid"),
    ("list_id", "uuid"),
    ("timestamp_created", "timestamptz"),
    ("timestamp_updated", "timestamptz"),
    ("status", "int"),
    ("upload_method", "text"),
    ("email_open_count", "int"),
    ("email_reply_count", "int"),
    ("email_click_count", "int"),
)
_COPIED = [*(name for name, _ in _VARYING), "payload", *(name for name, _ in _FIXED)]
_JSON_DEFAULTS = ("status_summary", "status_summary_subseq")
_varying = operator.itemgetter(*(name for name, _ in _VARYING))


async def _insert(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    list_id: uuid.UUID | None,
) -> None:
    """The batch in one statement: on PostgreSQL a COPY, elsewhere an executemany INSERT."""
    now = utcnow()
    fixed: dict[str, Any] = {
        "workspace_id": workspace_id,
        "campaign_id": campaign_id,
        "list_id": list_id,
        "timestamp_created": now,
        "timestamp_updated": now,
        "status": 1,
        "upload_method": UploadMethod.API.value,
        "email_open_count": 0,
        "email_reply_count": 0,
        "email_click_count": 0,
    }
    for row in rows:
        row["timestamp_last_interest_change"] = now if row["lt_interest_status"] is not None else None
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        values = [
            {**fixed, "status_summary": {}, "status_summary_subseq": {}, **row, "id": uuid.UUID(row["id"])}
            for row in rows
        ]
        await connection.execute(insert(LeadRow), values)
        return
    # COPY on the session's own asyncpg connection, inside its transaction (begun by the queries before):
    # measured 19 ms for 1000 leads, against 40 ms for one INSERT ... SELECT FROM unnest(arrays).
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("no transaction open on the session's connection to COPY the leads into")
    constants = (*fixed.values(), *("{}" for _ in _JSON_DEFAULTS))
    records = [
        (
            *_varying(row),
            None if row["payload"] is None else orjson.dumps(row["payload"]).decode(),
            *constants,
        )
        for row in rows
    ]
    await driver.copy_records_to_table("lead", records=records, columns=[*_COPIED, *_JSON_DEFAULTS])
