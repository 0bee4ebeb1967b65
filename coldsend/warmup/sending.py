"""What sending a warmup message records, as the campaign sender does for its rows: planned → sending
(claimed under a lease) → committed (written just before the final "." of DATA) → sent. After a crash, a
`sending` row was certainly not delivered and goes again with the same Message-ID; a `committed` one is
counted as sent. A refusal fails the row and is a strike against the sender's ramp.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption as secrets
from coldsend.config import Settings
from coldsend.mail.message import DkimKey, OutgoingMessage, build_message
from coldsend.models import Account, AccountStatus, WarmupMessage, WarmupRamp, WarmupState, WarmupStatus
from coldsend.warmup import pool, tokens
from coldsend.warmup.plan import STRIKE_SLOW_DAYS, off_the_mark, seeded
from coldsend.warmup.planning import display_name

MAX_ATTEMPTS = 4
RETRY_SECONDS = 300.0
CLAIM_BATCH = 50


def held_by(worker_id: str) -> ColumnElement[bool]:
    return WarmupMessage.lease_owner == worker_id


async def claim(
    session: AsyncSession, *, worker_id: str, now: datetime, lease: timedelta, limit: int = CLAIM_BATCH
) -> list[WarmupMessage]:
    """Lease due planned rows (oldest first); rows another worker holds are skipped, not waited for."""
    pick = (
        select(WarmupMessage.id)
        .where(WarmupMessage.state == WarmupState.PLANNED, WarmupMessage.due_at <= now)
        .order_by(WarmupMessage.due_at, WarmupMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    claimed = await session.scalars(
        update(WarmupMessage)
        .where(WarmupMessage.id.in_(select(pick.c.id)), WarmupMessage.state == WarmupState.PLANNED)
        .values(
            state=WarmupState.SENDING,
            lease_owner=worker_id,
            lease_expires_at=now + lease,
            attempts=WarmupMessage.attempts + 1,
        )
        .returning(WarmupMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed, key=lambda row: (row.due_at, row.id))


def sendable(sender: Account | None, recipient: Account | None) -> bool:
    """Both mailboxes are still in the pool: the sender's warmup on and the account active."""
    if sender is None or recipient is None:
        return False
    return all(
        account.warmup_status == WarmupStatus.ACTIVE and account.status == AccountStatus.ACTIVE
        for account in (sender, recipient)
    )


def _dkim(account: Account, settings: Settings) -> DkimKey | None:
    if not account.dkim_selector or not account.dkim_private_key_encrypted:
        return None
    return DkimKey(
        domain=pool.domain_of(account.email),
        selector=account.dkim_selector,
        private_key_pem=secrets.decrypt(settings, account.dkim_private_key_encrypted),
    )


def compose(
    row: WarmupMessage, sender: Account, recipient: Account, settings: Settings, now: datetime
) -> bytes:
    """The message: plain text only (no pixel, no links), threaded when a reply, the signed token in
    its header."""
    message = OutgoingMessage(
        message_id=row.message_id,
        date=now,
        from_email=sender.email,
        from_name=display_name(sender),
        to_email=recipient.email,
        subject=row.subject,
        html="",
        text=row.body,
        text_only=True,
        in_reply_to=row.in_reply_to,
        references=row.references.split() if row.references else [],
        extra_headers=[(tokens.HEADER, tokens.make(settings, row.id))],
        dkim=_dkim(sender, settings),
    )
    return build_message(message)


async def mark_committed(session: AsyncSession, row_id: uuid.UUID, worker_id: str, now: datetime) -> bool:
    committed = await session.scalar(
        update(WarmupMessage)
        .where(WarmupMessage.id == row_id, WarmupMessage.state == WarmupState.SENDING, held_by(worker_id))
        .values(state=WarmupState.COMMITTED, sent_at=now)
        .returning(WarmupMessage.id)
        .execution_options(synchronize_session=False)
    )
    return committed is not None


def commit_statement(row_id: uuid.UUID, worker_id: str, now: datetime) -> str:
    """`mark_committed` as one SQL statement for PostgreSQL's pipelined commit (written alongside the
    final dot on the sender's own connection); the values are a UUID, a timestamp and a quoted name."""
    owner = worker_id.replace("'", "''")
    return (
        f"UPDATE warmup_message SET state = '{WarmupState.COMMITTED}', "
        f"sent_at = '{now.isoformat()}'::timestamptz "
        f"WHERE id = '{row_id}'::uuid AND state = '{WarmupState.SENDING}' AND lease_owner = '{owner}'"
    )


async def record_sent(session: AsyncSession, row_ids: list[uuid.UUID], worker_id: str) -> int:
    if not row_ids:
        return 0
    done = await session.scalars(
        update(WarmupMessage)
        .where(
            WarmupMessage.id.in_(row_ids),
            WarmupMessage.state == WarmupState.COMMITTED,
            held_by(worker_id),
        )
        .values(state=WarmupState.SENT, lease_owner=None, lease_expires_at=None)
        .returning(WarmupMessage.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(done))


async def strike(session: AsyncSession, account_id: uuid.UUID) -> None:
    """A bounce of the account's warmup mail, or its warmup mail marked as spam: its ramp slows."""
    ramp = await pool.ramp_of(session, account_id)
    await session.execute(
        update(WarmupRamp)
        .where(WarmupRamp.account_id == ramp.account_id)
        .values(slow_days=WarmupRamp.slow_days + STRIKE_SLOW_DAYS)
        .execution_options(synchronize_session=False)
    )


async def record_failure(
    session: AsyncSession,
    row: WarmupMessage,
    worker_id: str,
    reason: str,
    *,
    now: datetime,
    permanent: bool,
) -> None:
    """A refusal (`permanent`: the recipient or message was rejected) fails the row and slows the
    sender; a temporary failure goes again later, a bounded number of times."""
    again = not permanent and row.attempts < MAX_ATTEMPTS
    values: dict[str, object] = {
        "state": WarmupState.PLANNED if again else WarmupState.FAILED,
        "last_error": reason[:2000],
        "lease_owner": None,
        "lease_expires_at": None,
        "bounced": permanent,
    }
    if again:
        values["due_at"] = off_the_mark(now + timedelta(seconds=RETRY_SECONDS * row.attempts), seeded(row.id))
    await session.execute(
        update(WarmupMessage)
        .where(
            WarmupMessage.id == row.id,
            WarmupMessage.state.in_((WarmupState.SENDING, WarmupState.COMMITTED)),
            held_by(worker_id),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if permanent:
        await strike(session, row.sender_id)


async def release(session: AsyncSession, row_ids: list[uuid.UUID], worker_id: str) -> None:
    """Give claimed rows back unsent (the worker stops, or a mailbox left the pool for now)."""
    if row_ids:
        await session.execute(
            update(WarmupMessage)
            .where(
                WarmupMessage.id.in_(row_ids),
                WarmupMessage.state == WarmupState.SENDING,
                held_by(worker_id),
            )
            .values(state=WarmupState.PLANNED, lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )


async def recover(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Rows of a vanished worker: `sending` ones are planned again (same Message-ID), `committed` ones
    counted as sent. (requeued, counted)"""
    expired = WarmupMessage.lease_expires_at < now
    requeued = await session.scalars(
        update(WarmupMessage)
        .where(WarmupMessage.state == WarmupState.SENDING, expired)
        .values(state=WarmupState.PLANNED, lease_owner=None, lease_expires_at=None)
        .returning(WarmupMessage.id)
        .execution_options(synchronize_session=False)
    )
    counted = await session.scalars(
        update(WarmupMessage)
        .where(WarmupMessage.state == WarmupState.COMMITTED, expired)
        .values(state=WarmupState.SENT, lease_owner=None, lease_expires_at=None)
        .returning(WarmupMessage.id)
        .execution_options(synchronize_session=False)
    )
    return len(list(requeued)), len(list(counted))
