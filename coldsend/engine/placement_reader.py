"""Reading where placement copies landed: each reading run's seeds are searched over IMAP every
`placement_read_seconds`, in every folder where delivered mail can be (INBOX, the spam folder, the
others), by the Message-IDs of the copies not found yet, or by the run's test code for mail sent from
outside. On servers with X-GM-EXT-1, Gmail's category search says which copies sit under a tab. Runs are
claimed by stamping `read_at` (SKIP LOCKED on PostgreSQL), so workers share them; a found copy is recorded
once, whichever worker finds it."""

import logging

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.inbox_placement import reading, runs
from coldsend.inbox_placement import seeds as seed_service
from coldsend.mail import imap
from coldsend.mail.imap import Mailbox
from coldsend.models import PlacementCopy, PlacementRun

log = logging.getLogger(__name__)


class PlacementReader:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        lock: EngineLock,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.lock = lock

    async def read_due(self) -> int:
        """Search the seeds of every run that is due; how many copies were found."""
        async with self.lock, session_scope(self.sessionmaker) as session:
            runs = await reading.claim_runs(session, self.clock.now(), self.settings.placement_read_seconds)
        found = 0
        for run in runs:
            try:
                found += await self.read_run(run)
            except Exception:
                log.exception("placement: seeds of run %s not read", run.id)
        return found

    async def read_run(self, run: PlacementRun) -> int:
        async with self.sessionmaker() as session:
            outside = run.test_code is not None and not await _has_planned(session, run)
            pending = {} if outside else await reading.pending(session, run)
            seeds = await reading.seeds_of(session, run, None if outside else list(pending))
            accounts = await reading.accounts_of(session, seeds)
        found = 0
        for seed in seeds:
            account = accounts.get(seed.account_id) if seed.account_id else None
            try:
                endpoint = seed_service.imap_endpoint(seed, account, self.settings, self.sessionmaker)
                async with Mailbox(endpoint) as mailbox:
                    landed = await self._search(mailbox, run, pending.get(seed.id, []), outside)
                error = None
            except InvalidToken:
                landed, error = [], "the stored IMAP password cannot be decrypted (the secret key changed)"
            except imap.ImapError as failure:
                landed, error = [], str(failure)
            if error is not None:
                log.warning("placement: seed %s not read: %s", seed.email, error)
            esps = await self._sender_esps(landed) if outside else {}
            async with self.lock, session_scope(self.sessionmaker) as session:
                await reading.note_seed(session, seed.id, error)
                if outside:
                    found += await reading.record_outside(session, run, seed, landed, self.clock.now(), esps)
                elif landed:
                    found += await reading.record_copies(session, pending[seed.id], landed, self.clock.now())
        return found

    async def _sender_esps(self, landed: list[reading.Landed]) -> dict[str, str]:
        """The providers of the sending domains of messages sent from outside (from their MX hosts)."""
        senders = {sender for item in landed if (sender := reading.sender_of(item.fetched.raw))}
        return await runs.sender_esps(senders, self.settings) if senders else {}

    async def _search(
        self, mailbox: Mailbox, run: PlacementRun, copies: list[PlacementCopy], outside: bool
    ) -> list[reading.Landed]:
        folders = await mailbox.searchable_folders()
        junk = imap.junk_folder(folders)
        wanted = [("Message-ID", copy.message_id) for copy in copies if copy.message_id]
        landed: list[reading.Landed] = []
        for folder in folders:
            if not outside and len(landed) >= len(wanted):
                break
            try:
                await mailbox.select(folder.name)
            except imap.MailboxError:
                continue
            if outside:
                uids = await mailbox.search_text(run.test_code or "")
            else:
                uids = await mailbox.search_headers(wanted)
            if not uids:
                continue
            tabbed = await mailbox.gmail_search(reading.GMAIL_CATEGORIES)
            async for fetched in mailbox.fetch(uids, max_bytes=self.settings.inbox_max_message_bytes):
                landed.append(
                    reading.Landed(
                        fetched=fetched,
                        folder=folder.name,
                        spam=folder.name == junk,
                        category=None if tabbed is None else fetched.uid in tabbed,
                    )
                )
        return landed


async def _has_planned(session: AsyncSession, run: PlacementRun) -> bool:
    """Whether the run's copies were planned by Coldsend (not found by test code after the fact)."""
    found = await session.scalar(
        select(PlacementCopy.id)
        .where(PlacementCopy.run_id == run.id, PlacementCopy.account_id.is_not(None))
        .limit(1)
    )
    return found is not None
