"""The `update-warmup-accounts` job: records warmup on or off for the selected accounts.

The job sets `warmup_status` (and when warmup started); the warmup loop (engine/warmup_loop.py) sends and
reads warmup mail for the accounts whose warmup is on. Re-running it sets the same values, so a takeover
after a crash is harmless.
"""

import logging

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts import bulk
from coldsend.accounts.schemas import WarmupSelection
from coldsend.clock import utcnow
from coldsend.custom_tag_mappings.service import batched
from coldsend.jobs import JobContext, register
from coldsend.models import Account, JobType, WarmupStatus

log = logging.getLogger(__name__)

UPDATE_WARMUP_ACCOUNTS = JobType.UPDATE_WARMUP_ACCOUNTS.value
MAX_LISTED_EMAILS = 1000


async def _apply(session: AsyncSession, ctx: JobContext, emails: list[str], enable: bool) -> None:
    now = utcnow()
    values: dict[str, object] = {
        "warmup_status": WarmupStatus.ACTIVE if enable else WarmupStatus.PAUSED,
        "timestamp_updated": now,
    }
    if enable:
        values["timestamp_warmup_start"] = func.coalesce(Account.timestamp_warmup_start, now)
    for chunk in batched(emails):
        await session.execute(
            update(Account)
            .where(Account.workspace_id == ctx.workspace_id, Account.email.in_(chunk))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


@register(UPDATE_WARMUP_ACCOUNTS)
async def update_warmup_accounts(ctx: JobContext) -> None:
    selection = WarmupSelection.model_validate(ctx.data["request"])
    enable = bool(ctx.data["enable"])
    async with ctx.sessionmaker() as session:
        emails = await bulk.selected_emails(session, workspace_id=ctx.workspace_id, selection=selection)
        await _apply(session, ctx, emails, enable)
        shown = {"updated_accounts": len(emails), "emails": emails[:MAX_LISTED_EMAILS]}
        await ctx.progress(99, shown, session=session)
    log.info("job %s: warmup %s for %d accounts", ctx.job_id, "on" if enable else "off", len(emails))
