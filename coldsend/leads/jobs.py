"""Lead work done by background jobs: moving or copying leads, interest-status updates, bulk assignment.

Each job walks its leads in id order, in batches of `job_batch_size`, and commits every batch together
with its checkpoint (the last id done and the counts so far). A worker killed mid-job leaves the last
committed batch and its checkpoint; the next worker resumes after it, so no lead is moved twice or lost.
"""

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import email_key
from coldsend.clock import utcnow
from coldsend.jobs import JobContext, register
from coldsend.leads import filters as lead_filters
from coldsend.leads.bulk_schemas import LeadsAssign, LeadSelection, LeadsMove
from coldsend.leads.repository import hold_lead_writes
from coldsend.leads.schemas import LeadsQuery
from coldsend.models import AuditLog, Campaign, JobType, Lead, LeadList, LeadStatus, LeadVerificationStatus
from coldsend.subsequences import triggers
from coldsend.webhooks import facts

log = logging.getLogger(__name__)

MOVE_LEADS = JobType.MOVE_LEADS.value
UPDATE_INTEREST_STATUS = "update-lead-interest-status"
ASSIGN_LEADS = "assign-leads"
MAX_MOVED_EMAILS = 10_000

# What a lead keeps when it is copied: the contact and what is known about the address.
COPIED_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company_name",
    "company_domain",
    "job_title",
    "phone",
    "website",
    "personalization",
    "payload",
    "lt_interest_status",
    "timestamp_last_interest_change",
    "verification_status",
    "enrichment_status",
    "esp_code",
    "esg_code",
    "upload_method",
    "uploaded_by_user",
    "assigned_to",
    "pl_value_lead",
    "is_website_visitor",
)


def selection(workspace_id: uuid.UUID, request: LeadSelection) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the leads a move or an assignment picks: POST /leads/list's, and their own."""
    listed = LeadsQuery.model_construct(
        search=request.search,
        filter=request.filter,
        campaign=request.campaign,
        list_id=request.list_id,
        in_campaign=request.in_campaign,
        in_list=request.in_list,
        ids=request.ids,
        queries=request.queries,
    )
    where = lead_filters.where(workspace_id, listed)
    if isinstance(request, LeadsMove):
        where.extend(_move_selection(request))
    if isinstance(request, LeadsAssign) and request.assigned_to is not None:
        where.append(Lead.assigned_to == request.assigned_to)
    return where


def _move_selection(request: LeadsMove) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if request.excluded_ids:
        where.append(Lead.id.not_in(request.excluded_ids))
    if request.contacts is not None:
        where.append(Lead.email.in_({email_key(contact)[0] for contact in request.contacts}))
    if request.esp_code is not None:
        where.append(Lead.esp_code == request.esp_code)
    if request.esg_code == "all":
        where.append(Lead.esg_code.is_not(None))
    elif request.esg_code == "none":
        where.append(Lead.esg_code.is_(None))
    elif request.esg_code is not None:
        where.append(Lead.esg_code == int(request.esg_code))
    if request.skip_leads_in_verification:
        pending = (LeadVerificationStatus.PENDING, LeadVerificationStatus.PENDING_VERIFICATION_JOB)
        where.append(or_(Lead.verification_status.is_(None), Lead.verification_status.not_in(pending)))
    # A lead already where it is going stays put (and a copy is not made next to it).
    if request.to_campaign_id is not None:
        where.append(Lead.campaign_id.is_distinct_from(request.to_campaign_id))
    else:
        where.append(Lead.list_id.is_distinct_from(request.to_list_id))
    return where


def _limit(request: LeadSelection) -> int | None:
    return None if request.limit is None else int(request.limit)


def _percent(done: int, total: int) -> int:
    """1..99 while the job runs: 100 is the runner's to set, once the job has ended."""
    return max(1, min(99, done * 100 // total)) if total else 99


async def destination_exists(session: AsyncSession, workspace_id: uuid.UUID, request: LeadsMove) -> bool:
    if request.to_campaign_id is not None:
        found = await session.scalar(
            select(Campaign.id).where(
                Campaign.id == request.to_campaign_id, Campaign.workspace_id == workspace_id
            )
        )
    else:
        found = await session.scalar(
            select(LeadList.id).where(
                LeadList.id == request.to_list_id, LeadList.workspace_id == workspace_id
            )
        )
    return found is not None


async def _start(ctx: JobContext, where: list[ColumnElement[bool]], counts: dict[str, Any]) -> None:
    """First run only: fix the set of leads the job may touch (ids up to the newest one now) and count it."""
    if "total" in ctx.data:
        return
    async with ctx.sessionmaker() as session:
        newest = await session.scalar(
            select(Lead.id).where(Lead.workspace_id == ctx.workspace_id).order_by(Lead.id.desc()).limit(1)
        )
        total = 0
        if newest is not None:
            total = await session.scalar(select(func.count()).where(*where, Lead.id <= newest)) or 0
    start = {"total": total, "newest_id": newest and str(newest), "last_id": None, "processed": 0}
    await ctx.progress(0, {**start, **counts})


async def _next_batch(
    session: AsyncSession, ctx: JobContext, where: list[ColumnElement[bool]]
) -> Sequence[Lead]:
    if ctx.data["newest_id"] is None:
        return []
    stmt = select(Lead).where(*where, Lead.id <= uuid.UUID(ctx.data["newest_id"]))
    if ctx.data["last_id"] is not None:
        stmt = stmt.where(Lead.id > uuid.UUID(ctx.data["last_id"]))
    return (await session.scalars(stmt.order_by(Lead.id).limit(ctx.settings.job_batch_size))).all()


async def _duplicates(
    session: AsyncSession, workspace_id: uuid.UUID, request: LeadsMove, leads: Sequence[Lead]
) -> set[str]:
    """Emails of the batch that the duplicate checks asked for already find elsewhere."""
    emails = {lead.email for lead in leads if lead.email}
    if not emails or not (request.check_duplicates or request.check_duplicates_in_campaigns):
        return set()
    await hold_lead_writes(
        session,
        workspace_id=workspace_id,
        container_id=request.to_campaign_id or request.to_list_id,
        workspace_wide=bool(request.check_duplicates_in_campaigns),
    )
    places: list[ColumnElement[bool]] = []
    if request.check_duplicates:
        places.append(
            Lead.campaign_id == request.to_campaign_id
            if request.to_campaign_id is not None
            else Lead.list_id == request.to_list_id
        )
    if request.check_duplicates_in_campaigns:
        places.append(Lead.campaign_id.is_not(None))
    found = await session.scalars(
        select(Lead.email).where(
            Lead.workspace_id == workspace_id,
            Lead.email.in_(emails),
            Lead.id.not_in([lead.id for lead in leads]),
            or_(*places),
        )
    )
    return {email for email in found if email}


def _chosen(request: LeadsMove, leads: Sequence[Lead], taken: set[str], room: int | None) -> list[Lead]:
    """The batch's leads that go, duplicates (with each other too, when checked) and the limit applied."""
    check = bool(request.check_duplicates or request.check_duplicates_in_campaigns)
    chosen: list[Lead] = []
    for lead in leads:
        if room is not None and len(chosen) >= room:
            break
        if check and lead.email:
            if lead.email in taken:
                continue
            taken.add(lead.email)
        chosen.append(lead)
    return chosen


def _placement(request: LeadsMove) -> dict[str, Any]:
    """Where the lead goes, with its place in the old sequence left behind."""
    values: dict[str, Any] = {
        "campaign_id": request.to_campaign_id,
        "list_id": request.to_list_id,
        "subsequence_id": None,
        "timestamp_added_subsequence": None,
        "last_step_from": None,
        "last_step_id": None,
        "last_step_timestamp_executed": None,
        "status_summary": {},
        "status_summary_subseq": {},
    }
    if request.assigned_to is not None:
        values["assigned_to"] = request.assigned_to
    if request.reset_interest_status:
        values["lt_interest_status"] = None
    return values


async def _move(session: AsyncSession, request: LeadsMove, leads: list[Lead]) -> None:
    values = _placement(request)
    now = utcnow()
    if request.reset_interest_status:
        values["timestamp_last_interest_change"] = now
    if request.copy_leads:
        rows = []
        for lead in leads:
            row = {name: getattr(lead, name) for name in COPIED_FIELDS}
            row.update(values, workspace_id=lead.workspace_id, timestamp_created=now, timestamp_updated=now)
            row["status"] = lead.status if lead.status < 0 else LeadStatus.ACTIVE
            rows.append(row)
        await session.execute(insert(Lead), rows)
        return
    await session.execute(
        update(Lead)
        .where(Lead.id.in_([lead.id for lead in leads]))
        .values(
            **values,
            status=case((Lead.status < 0, Lead.status), else_=int(LeadStatus.ACTIVE)),
            timestamp_updated=now,
        )
        .execution_options(synchronize_session=False)
    )


@register(MOVE_LEADS)
async def move_leads(ctx: JobContext) -> None:
    """Move (or copy) the selected leads to the destination campaign or list, batch by batch."""
    request = LeadsMove.model_validate(ctx.data["request"])
    where = selection(ctx.workspace_id, request)
    async with ctx.sessionmaker() as session:
        if not await destination_exists(session, ctx.workspace_id, request):
            raise LookupError("the destination campaign or list no longer exists")
    await _start(ctx, where, {"moved_leads": 0, "moved_lead_emails": [], "skipped_leads": 0})
    limit = _limit(request)
    while limit is None or ctx.data["moved_leads"] < limit:
        async with ctx.sessionmaker() as session:
            leads = await _next_batch(session, ctx, where)
            if not leads:
                break
            taken = await _duplicates(session, ctx.workspace_id, request, leads)
            room = None if limit is None else limit - ctx.data["moved_leads"]
            chosen = _chosen(request, leads, taken, room)
            # When the limit cuts the batch short, the job ends after the last lead it moved.
            considered = leads if room is None or len(chosen) < room else leads[: leads.index(chosen[-1]) + 1]
            if chosen:
                await _move(session, request, chosen)
            processed = ctx.data["processed"] + len(considered)
            emails = ctx.data["moved_lead_emails"]
            room_for_emails = MAX_MOVED_EMAILS - len(emails)
            if room_for_emails > 0:
                emails = emails + [lead.email for lead in chosen if lead.email][:room_for_emails]
            await ctx.progress(
                _percent(processed, ctx.data["total"]),
                {
                    "last_id": str(considered[-1].id),
                    "processed": processed,
                    "moved_leads": ctx.data["moved_leads"] + len(chosen),
                    "skipped_leads": ctx.data["skipped_leads"] + len(considered) - len(chosen),
                    "moved_lead_emails": emails,
                },
                session=session,
            )
    audit_log_id = ctx.data.get("audit_log_id")
    if audit_log_id is not None:
        async with ctx.sessionmaker() as session:
            await session.execute(
                update(AuditLog)
                .where(AuditLog.id == uuid.UUID(audit_log_id))
                .values(affected_count=ctx.data["moved_leads"])
                .execution_options(synchronize_session=False)
            )
            await ctx.progress(99, session=session)
    log.info("job %s: %d leads moved", ctx.job_id, ctx.data["moved_leads"])


@register(UPDATE_INTEREST_STATUS)
async def update_interest_status(ctx: JobContext) -> None:
    """Set the interest status of the workspace's leads with this email (in one campaign or list if given)."""
    where = [Lead.workspace_id == ctx.workspace_id, Lead.email == ctx.data["lead_email"]]
    for key, column in (("campaign_id", Lead.campaign_id), ("list_id", Lead.list_id)):
        if ctx.data.get(key) is not None:
            where.append(column == uuid.UUID(ctx.data[key]))
    async with ctx.sessionmaker() as session:
        now = utcnow()
        updated = await session.scalars(
            update(Lead)
            .where(*where)
            .values(
                lt_interest_status=ctx.data["interest_value"],
                timestamp_last_interest_change=now,
                timestamp_updated=now,
            )
            .returning(Lead.id)
            .execution_options(synchronize_session=False)
        )
        ids = list(updated.all())
        leads = list(await session.scalars(select(Lead).where(Lead.id.in_(ids))))
        await facts.record_interest(session, leads, ctx.data["interest_value"], now)
        for lead in leads:
            await triggers.on_interest_status(session, lead, ctx.data["interest_value"], now)
        await ctx.progress(99, {"updated_leads": len(ids)}, session=session)


@register(ASSIGN_LEADS)
async def assign_leads(ctx: JobContext) -> None:
    """Share the selected leads out among the users in turn, in id order, batch by batch."""
    request = LeadsAssign.model_validate(ctx.data["request"])
    users = request.organization_user_ids
    where = selection(ctx.workspace_id, request)
    await _start(ctx, where, {"assigned_leads": 0})
    limit = _limit(request)
    while limit is None or ctx.data["assigned_leads"] < limit:
        async with ctx.sessionmaker() as session:
            leads = list(await _next_batch(session, ctx, where))
            if not leads:
                break
            if limit is not None:
                leads = leads[: limit - ctx.data["assigned_leads"]]
            done = ctx.data["assigned_leads"]
            for turn, user in enumerate(users):
                start = (turn - done) % len(users)
                ids = [lead.id for lead in leads[start :: len(users)]]
                if ids:
                    await session.execute(
                        update(Lead)
                        .where(Lead.id.in_(ids))
                        .values(assigned_to=user, timestamp_updated=utcnow())
                        .execution_options(synchronize_session=False)
                    )
            processed = ctx.data["processed"] + len(leads)
            await ctx.progress(
                _percent(processed, ctx.data["total"]),
                {"last_id": str(leads[-1].id), "processed": processed, "assigned_leads": done + len(leads)},
                session=session,
            )
