"""What sending a warmup message composes and records. Its row is leased as the campaign sender's are
(`LEASE`, `db.leases`: planned → sending → committed → sent, a `sending` row of a vanished worker goes again
with the same Message-ID, a `committed` one is counted as sent); a refusal fails the row and is a strike
against the sender's ramp.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption as secrets
from coldsend.config import Settings
from coldsend.db.leases import LeasedTable
from coldsend.mail.message import DkimKey, OutgoingMessage, build_message
from coldsend.models import Account, AccountStatus, WarmupMessage, WarmupRamp, WarmupState, WarmupStatus
from coldsend.warmup import pool, tokens
from coldsend.warmup.plan import STRIKE_SLOW_DAYS, off_the_mark, seeded
from coldsend.warmup.planning import display_name

MAX_ATTEMPTS = 4
RETRY_SECONDS = 300.0

LEASE = LeasedTable(WarmupMessage, WarmupState)


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
    retry_at = (
        off_the_mark(now + timedelta(seconds=RETRY_SECONDS * row.attempts), seeded(row.id)) if again else None
    )
    await LEASE.record_failure(
        session, row, worker_id, reason, retry_at=retry_at, values={"bounced": permanent}
    )
    if permanent:
        await strike(session, row.sender_id)
