"""What sending a placement copy records, as the campaign sender does for its rows: planned → sending
(claimed under a lease) → committed (written just before the final "." of DATA) → sent. After a crash, a
`sending` copy was certainly not delivered and goes again with the same Message-ID; a `committed` one is
counted as sent. A copy waits while its account is at its daily limit (the test then says
`daily_limits_hit`); each copy sent counts against that limit.

A copy is rendered exactly as campaign mail: `sends.compose.render_message` with the test's copy, the
seed as the lead (its address; no other lead fields), the account's signature and name, spintax, and,
from the test's campaign when it has one, the unsubscribe header and tracking (open tracking on unless
`text_only` when it has none).
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import rotation
from coldsend.config import Settings
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
CLAIM_BATCH = 50
DAILY_LIMITS_HIT = "daily_limits_hit"
OTHER = "other"
IN_FLIGHT = (CopyState.SENDING, CopyState.COMMITTED)


def held_by(worker_id: str) -> ColumnElement[bool]:
    return PlacementCopy.lease_owner == worker_id


async def claim(
    session: AsyncSession, *, worker_id: str, now: datetime, lease: timedelta, limit: int = CLAIM_BATCH
) -> list[PlacementCopy]:
    """Lease due planned copies (oldest first); copies another worker holds are skipped, not waited for."""
    pick = (
        select(PlacementCopy.id)
        .where(PlacementCopy.state == CopyState.PLANNED, PlacementCopy.due_at <= now)
        .order_by(PlacementCopy.due_at, PlacementCopy.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = await session.scalars(
        update(PlacementCopy)
        .where(PlacementCopy.id.in_(select(pick.c.id)), PlacementCopy.state == CopyState.PLANNED)
        .values(
            state=CopyState.SENDING,
            lease_owner=worker_id,
            lease_expires_at=now + lease,
            attempts=PlacementCopy.attempts + 1,
        )
        .returning(PlacementCopy)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed, key=lambda row: (row.due_at or now, row.id))


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


async def mark_committed(session: AsyncSession, row_id: uuid.UUID, worker_id: str, now: datetime) -> bool:
    committed = await session.scalar(
        update(PlacementCopy)
        .where(PlacementCopy.id == row_id, PlacementCopy.state == CopyState.SENDING, held_by(worker_id))
        .values(state=CopyState.COMMITTED, sent_at=now)
        .returning(PlacementCopy.id)
        .execution_options(synchronize_session=False)
    )
    return committed is not None


def commit_statement(row_id: uuid.UUID, worker_id: str, now: datetime) -> str:
    """`mark_committed` as one SQL statement for PostgreSQL's pipelined commit (written alongside the
    final dot on the sender's own connection); the values are a UUID, a timestamp and a quoted name."""
    owner = worker_id.replace("'", "''")
    return (
        f"UPDATE placement_copy SET state = '{CopyState.COMMITTED}', "
        f"sent_at = '{now.isoformat()}'::timestamptz "
        f"WHERE id = '{row_id}'::uuid AND state = '{CopyState.SENDING}' AND lease_owner = '{owner}'"
    )


async def record_sent(session: AsyncSession, row_ids: list[uuid.UUID], worker_id: str) -> int:
    if not row_ids:
        return 0
    done = await session.scalars(
        update(PlacementCopy)
        .where(PlacementCopy.id.in_(row_ids), PlacementCopy.state == CopyState.COMMITTED, held_by(worker_id))
        .values(state=CopyState.SENT, lease_owner=None, lease_expires_at=None)
        .returning(PlacementCopy.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(done))


async def record_failure(
    session: AsyncSession, row: PlacementCopy, worker_id: str, reason: str, *, now: datetime, permanent: bool
) -> None:
    """A refusal fails the copy (it is then missing); a temporary failure goes again, a few times."""
    again = not permanent and row.attempts < MAX_ATTEMPTS
    values: dict[str, object] = {
        "state": CopyState.PLANNED if again else CopyState.FAILED,
        "last_error": reason[:2000],
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if again:
        values["due_at"] = now + timedelta(seconds=RETRY_SECONDS * row.attempts)
    await session.execute(
        update(PlacementCopy)
        .where(PlacementCopy.id == row.id, PlacementCopy.state.in_(IN_FLIGHT), held_by(worker_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def release(
    session: AsyncSession, row_ids: list[uuid.UUID], worker_id: str, *, due_at: datetime | None = None
) -> None:
    """Give claimed copies back unsent (the worker stops, or the account cannot send now), due again at
    `due_at` when given."""
    if row_ids:
        values: dict[str, object] = {
            "state": CopyState.PLANNED,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if due_at is not None:
            values["due_at"] = due_at
        await session.execute(
            update(PlacementCopy)
            .where(
                PlacementCopy.id.in_(row_ids), PlacementCopy.state == CopyState.SENDING, held_by(worker_id)
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def note_not_sending(session: AsyncSession, test_id: uuid.UUID, reason: str | None) -> None:
    await session.execute(
        update(PlacementTest)
        .where(PlacementTest.id == test_id, PlacementTest.not_sending_status.is_distinct_from(reason))
        .values(not_sending_status=reason)
        .execution_options(synchronize_session=False)
    )


async def recover(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Copies of a vanished worker: `sending` ones are planned again (same Message-ID), `committed` ones
    counted as sent. (requeued, counted)"""
    expired = PlacementCopy.lease_expires_at < now
    requeued = await session.scalars(
        update(PlacementCopy)
        .where(PlacementCopy.state == CopyState.SENDING, expired)
        .values(state=CopyState.PLANNED, lease_owner=None, lease_expires_at=None)
        .returning(PlacementCopy.id)
        .execution_options(synchronize_session=False)
    )
    counted = await session.scalars(
        update(PlacementCopy)
        .where(PlacementCopy.state == CopyState.COMMITTED, expired)
        .values(state=CopyState.SENT, lease_owner=None, lease_expires_at=None)
        .returning(PlacementCopy.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(requeued)), len(list(counted))


async def runs_sent(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Runs whose every copy is sent or failed move to reading; copies not found `placement_missing_minutes`
    after the last one went out will be missing."""
    pending = select(PlacementCopy.id).where(
        PlacementCopy.run_id == PlacementRun.id, PlacementCopy.state.in_((CopyState.PLANNED, *IN_FLIGHT))
    )
    moved = await session.scalars(
        update(PlacementRun)
        .where(PlacementRun.state == Run.SENDING, ~pending.exists())
        .values(state=Run.READING, missing_after=now + timedelta(minutes=settings.placement_missing_minutes))
        .returning(PlacementRun.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(moved))
