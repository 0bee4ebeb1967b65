"""Sending the day's warmup messages through the leased sender (`engine.leased_sender`: claimed under a
lease, committed just before the final dot, recorded as sent exactly once): a message goes from one pool
mailbox to another while both are still in the pool; a refused login puts the sender in connection error.
"""

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts import health
from coldsend.db.session import session_scope
from coldsend.engine.leased_sender import LeasedSender, Outgoing
from coldsend.mail.smtp import SmtpError
from coldsend.models import Account, WarmupMessage
from coldsend.warmup import sending

log = logging.getLogger(__name__)


class WarmupSender(LeasedSender[WarmupMessage]):
    """Claims due warmup rows and sends them over a pooled SMTP connection per account."""

    table = sending.LEASE
    area, noun, plural = "warmup", "warmup message", "messages"
    _accounts: dict[uuid.UUID, Account]  # the mailboxes of the batch being sent

    async def _claimed(self, batch: list[WarmupMessage]) -> None:
        ids = {row.sender_id for row in batch} | {row.recipient_id for row in batch}
        async with self.sessionmaker() as session:
            self._accounts = {
                account.id: account
                for account in await session.scalars(select(Account).where(Account.id.in_(ids)))
            }

    async def _outgoing(self, row: WarmupMessage) -> Outgoing | None:
        sender, recipient = self._accounts.get(row.sender_id), self._accounts.get(row.recipient_id)
        if sender is None or recipient is None or not sending.sendable(sender, recipient):
            await self._release([row.id])  # a mailbox left the pool for now; expires with its day
            return None
        return Outgoing(
            account=sender,
            rcpt_to=recipient.email,
            compose=lambda: sending.compose(row, sender, recipient, self.settings, self.clock.now()),
        )

    async def _record_failure(
        self, session: AsyncSession, row: WarmupMessage, reason: str, *, permanent: bool
    ) -> None:
        await sending.record_failure(
            session, row, self.worker_id, reason, now=self.clock.now(), permanent=permanent
        )

    async def _login_refused(self, row: WarmupMessage, error: SmtpError) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            await health.smtp_login_refused(session, row.sender_id, error)
        log.warning("account %s: SMTP authentication failed during warmup", row.sender_email)
        await self._release([row.id])
