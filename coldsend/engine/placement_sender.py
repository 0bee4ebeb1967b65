"""Sending the copies of placement runs through the leased sender (`engine.leased_sender`: claimed under a
lease, committed just before the final dot, recorded as sent exactly once). A copy whose account is at its
daily limit waits (the test says `daily_limits_hit`)."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.session import session_scope
from coldsend.engine.leased_sender import LeasedSender, Outgoing
from coldsend.inbox_placement import sending
from coldsend.mail.render import TemplateError
from coldsend.mail.smtp import SmtpError
from coldsend.models import Account, Campaign, PlacementCopy, PlacementTest

LIMIT_WAIT = timedelta(minutes=15)


class PlacementSender(LeasedSender[PlacementCopy]):
    """Claims due placement copies and sends them over a pooled SMTP connection per account."""

    table = sending.LEASE
    area, noun, plural = "placement", "placement copy", "copies"
    unbuildable = (*LeasedSender.unbuildable, TemplateError)
    unbuildable_for_good = True

    async def _load(self, row: PlacementCopy) -> tuple[PlacementTest, Account, Campaign | None] | None:
        """The copy's test and account, when the account may send one more email today; else the copy
        is given back (until later, or failed when the account or test is gone)."""
        now = self.clock.now()
        async with self.lock, session_scope(self.sessionmaker) as session:
            test = await session.get(PlacementTest, row.test_id)
            account = await session.get(Account, row.account_id) if row.account_id else None
            if test is None or account is None:
                reason = "the test or its sending account was deleted"
            elif not sending.sendable(account):
                reason = "the sending account is paused or in error"
            elif not await sending.within_limit(session, account, self.settings, now):
                await sending.note_not_sending(session, test.id, sending.DAILY_LIMITS_HIT)
                reason = None
            else:
                await sending.note_not_sending(session, test.id, None)
                campaign = await session.get(Campaign, test.campaign_id) if test.campaign_id else None
                return test, account, campaign
        if reason is None:
            await self._release([row.id], due_at=now + LIMIT_WAIT)
        else:
            await self._fail(row, reason, permanent=True)
        return None

    async def _outgoing(self, row: PlacementCopy) -> Outgoing | None:
        loaded = await self._load(row)
        if loaded is None:
            return None
        test, account, campaign = loaded
        return Outgoing(
            account=account,
            rcpt_to=row.recipient_email,
            compose=lambda: sending.compose(row, test, account, campaign, self.settings, self.clock.now()),
        )

    async def _record_failure(
        self, session: AsyncSession, row: PlacementCopy, reason: str, *, permanent: bool
    ) -> None:
        await sending.record_failure(
            session, row, self.worker_id, reason, now=self.clock.now(), permanent=permanent
        )

    async def _login_refused(self, row: PlacementCopy, error: SmtpError) -> None:
        await self._fail(row, f"SMTP login refused: {error.reply}", permanent=False)
