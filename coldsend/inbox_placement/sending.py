"""What sending a placement copy composes and records. Its row is leased as the campaign sender's are
(`LEASE`, `db.leases`: planned → sending → committed → sent, a `sending` copy of a vanished worker goes
again with the same Message-ID, a `committed` one is counted as sent). A copy waits while its account is
at its daily limit (the test then says `daily_limits_hit`); each copy sent counts against that limit.

A copy is rendered exactly as campaign mail: `sends.compose.render_message` with the test's copy, the
seed as the lead (its address; no other lead fields), the account's signature and name, spintax, and,
from the test's campaign when it has one, the unsubscribe header and tracking (open tracking on unless
`text_only` when it has none).
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import rotation
from coldsend.config import Settings
from coldsend.db.leases import LeasedTable
from coldsend.leads.variables import account_fields
from coldsend.mail.message import build_message
from coldsend.models import (
    Account,
    AccountStatus,
    Campaign,
    CopyState,
    PlacementCopy,
    PlacementRun,
    PlacementTest,
)
from coldsend.models import RunState as Run
from coldsend.sends.compose import Copy, render_message

MAX_ATTEMPTS = 4
RETRY_SECONDS = 120.0
DAILY_LIMITS_HIT = "daily_limits_hit"
OTHER = "other"
LEASE = LeasedTable(PlacementCopy, CopyState)


async def within_limit(session: AsyncSession, account: Account, settings: Settings, now: datetime) -> bool:
    """Whether the account may send one more email today: its campaign mail and the copies sent today
    (`campaigns.rotation` counts both) leave room under its limit."""
    slots = await rotation.account_slots(session, [account], settings, now)
    return slots[account.id].remaining > 0


def sendable(account: Account | None) -> bool:
    return account is not None and account.status == AccountStatus.ACTIVE


def compose(
    row: PlacementCopy,
    test: PlacementTest,
    account: Account,
    campaign: Campaign | None,
    settings: Settings,
    now: datetime,
) -> bytes:
    text_only = bool(test.text_only)
    variables: dict[str, object] = {"email": row.recipient_email, **account_fields(account)}
    copy_in = Copy(
        message_id=row.message_id or "",
        account=account,
        to_email=row.recipient_email,
        subject=test.email_subject,
        body=test.email_body,
        variables=variables,
        seed=str(row.id),
        tracking_id=row.id,
        text_only=text_only,
        unsubscribe_header=bool(campaign.insert_unsubscribe_header) if campaign else False,
        open_tracking=bool(campaign.open_tracking) if campaign else not text_only,
        link_tracking=bool(campaign.link_tracking) if campaign else False,
    )
    outgoing, _copy = render_message(copy_in, settings, now)
    return build_message(outgoing)


async def record_failure(
    session: AsyncSession, row: PlacementCopy, worker_id: str, reason: str, *, now: datetime, permanent: bool
) -> None:
    """A refusal fails the copy (it is then missing); a temporary failure goes again, a few times."""
    again = not permanent and row.attempts < MAX_ATTEMPTS
    retry_at = now + timedelta(seconds=RETRY_SECONDS * row.attempts) if again else None
    await LEASE.record_failure(session, row, worker_id, reason, retry_at=retry_at)


async def note_not_sending(session: AsyncSession, test_id: uuid.UUID, reason: str | None) -> None:
    await session.execute(
        update(PlacementTest)
        .where(PlacementTest.id == test_id, PlacementTest.not_sending_status.is_distinct_from(reason))
        .values(not_sending_status=reason)
        .execution_options(synchronize_session=False)
    )


async def runs_sent(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Runs whose every copy is sent or failed move to reading; copies not found `placement_missing_minutes`
    after the last one went out will be missing."""
    pending = select(PlacementCopy.id).where(
        PlacementCopy.run_id == PlacementRun.id,
        PlacementCopy.state.in_((CopyState.PLANNED, *LEASE.in_flight)),
    )
    moved = await session.scalars(
        update(PlacementRun)
        .where(PlacementRun.state == Run.SENDING, ~pending.exists())
        .values(state=Run.READING, missing_after=now + timedelta(minutes=settings.placement_missing_minutes))
        .returning(PlacementRun.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(moved))
