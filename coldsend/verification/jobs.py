"""Verifying a batch of leads as a background job (verify-on-import): each distinct address once,
a fresh cached result reused, every lead with that address updated. Checkpointed per batch."""

import asyncio
import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import InvalidAddress, parse_address
from coldsend.background_jobs import service as background_job_service
from coldsend.jobs import JobContext, register
from coldsend.models import BackgroundJob, Lead, LeadVerificationStatus
from coldsend.verification import service as verification_service
from coldsend.verification.probe.outcome import Outcome, Reachability, Reason
from coldsend.verification.runner import runner_for

log = logging.getLogger(__name__)

VERIFY_LEADS = "verify-leads"
BATCH = 200
ID_CHUNK = 1000


async def enqueue_lead_verification(
    session: AsyncSession, *, workspace_id: uuid.UUID, lead_ids: list[uuid.UUID]
) -> BackgroundJob:
    """Mark the leads "pending verification job" and queue the job, in the caller's transaction."""
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), ID_CHUNK):
        await session.execute(
            update(Lead)
            .where(Lead.workspace_id == workspace_id, Lead.id.in_(ids[start : start + ID_CHUNK]))
            .values(verification_status=int(LeadVerificationStatus.PENDING_VERIFICATION_JOB))
            .execution_options(synchronize_session=False)
        )
    return await background_job_service.enqueue(
        session,
        workspace_id=workspace_id,
        type=VERIFY_LEADS,
        data={"lead_ids": [str(lead_id) for lead_id in ids], "done": 0, "verified_emails": 0},
    )


async def _emails(session: AsyncSession, workspace_id: uuid.UUID, ids: Sequence[str]) -> list[str]:
    found = await session.scalars(
        select(Lead.email)
        .where(Lead.workspace_id == workspace_id, Lead.id.in_([uuid.UUID(i) for i in ids]))
        .distinct()
    )
    return sorted(email for email in found if email)


async def _outcome(ctx: JobContext, email: str, limit: asyncio.Semaphore) -> Outcome:
    """The fresh cached result of this workspace if there is one, else a new verification."""
    try:
        address = parse_address(email)
    except InvalidAddress as error:
        return Outcome(email, Reachability.INVALID, Reason.SYNTAX, details={"error": str(error)})
    async with ctx.sessionmaker() as session:
        row = await verification_service.get(session, workspace_id=ctx.workspace_id, email=address.email)
    if row is not None and row.reachability and verification_service.is_fresh(row, ctx.settings):
        return verification_service.outcome_of(row)
    async with limit:
        return await runner_for(ctx.settings, ctx.sessionmaker).verifier.verify_until_final(address.email)


@register(VERIFY_LEADS)
async def verify_leads(ctx: JobContext) -> None:
    ids: list[str] = ctx.data["lead_ids"]
    limit = asyncio.Semaphore(ctx.settings.verify_concurrency)
    while ctx.data["done"] < len(ids):
        start = ctx.data["done"]
        batch = ids[start : start + BATCH]
        async with ctx.sessionmaker() as session:
            emails = await _emails(session, ctx.workspace_id, batch)
        outcomes = await asyncio.gather(*(_outcome(ctx, email, limit) for email in emails))
        async with ctx.sessionmaker() as session:
            for email, outcome in zip(emails, outcomes, strict=True):
                if outcome.reason is not Reason.SYNTAX:
                    await verification_service.store_final(
                        session, workspace_id=ctx.workspace_id, outcome=outcome
                    )
                await verification_service.apply_to_leads(session, ctx.workspace_id, email, outcome)
            done = start + len(batch)
            await ctx.progress(
                min(99, done * 100 // len(ids)),
                {"done": done, "verified_emails": ctx.data["verified_emails"] + len(emails)},
                session=session,
            )
    log.info("job %s: %d lead addresses verified", ctx.job_id, ctx.data["verified_emails"])
