"""The sender loop: claims due send rows account by account and sends them over a pooled SMTP session.

A row goes scheduled → sending (claimed under a lease) → committed → sent. `committed` is written after
the server has accepted MAIL, RCPT and DATA and the whole body has been written, but before the final
"." (see `mail.smtp.AccountConnection.send`): so after a crash, a `sending` row was certainly not
delivered and is sent again with the same Message-ID, and a `committed` row is treated as sent (never
twice beats never lost). The commits of every account's pipeline go through one writer, which stores
all the rows waiting at once in one transaction before any of their dots (engine/send_commits.py). Each
account has at most one message in flight across all workers (a PostgreSQL advisory lock around the
claim, SKIP LOCKED on the row; one claimer per account on SQLite), and none sooner than its sending gap
after the previous one.

Outcomes: 2xx → sent (Email row, `sent` event, lead fields); 5xx to RCPT/DATA → bounced (lead bounced,
`bounced` event); 4xx, 421/454 or a lost connection → retry with exponential backoff, failed after
`send_max_attempts`; authentication refused → the account goes to connection error and gives its unsent
rows back to the scheduler.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy import ColumnElement, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from coldsend.accounts import health
from coldsend.accounts.mailbox_settings import smtp_endpoint_for
from coldsend.campaigns import flows
from coldsend.campaigns.due import SUBSEQUENCE_SENDABLE, stopped_by_reply
from coldsend.campaigns.schedule import in_schedule
from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.locks import advisory_key
from coldsend.db.session import session_scope
from coldsend.engine import send_recovery
from coldsend.engine.send_commits import CommitWriter, DatabaseLine, prepare_commit
from coldsend.engine.send_recovery import described
from coldsend.engine.serial import EngineLock
from coldsend.ids import default_worker_id
from coldsend.mail.message import DkimError
from coldsend.mail.pool import ConnectionPool
from coldsend.mail.render import TemplateError
from coldsend.mail.smtp import (
    NotCommitted,
    SmtpAuthError,
    SmtpEndpoint,
    SmtpError,
    SmtpPermanentError,
    StartCommit,
    UnconfirmedError,
    WriteDot,
)
from coldsend.models import Account, AccountStatus, CampaignStatus, LeadStatus, Send, SendState
from coldsend.sends import compose as composing
from coldsend.sends import outcomes
from coldsend.sends.bounces import Bounced, SoftBounceRetry, record_bounce

log = logging.getLogger(__name__)

BOUNCE_STAGES = ("rcpt", "data", "dot")
RECOVER_EVERY_SECONDS = 1.0


Outcome = Callable[[AsyncSession, Send, ColumnElement[bool]], Awaitable[bool]]
HandBack = Callable[[AsyncSession, list[uuid.UUID], ColumnElement[bool]], Awaitable[int]]
CLAIM_BATCH = 100  # rows leased at once per account (without a sending gap): fewer round trips per message
RECORD_CHUNK = 25
IN_FLIGHT = (SendState.SENDING, SendState.COMMITTED)
_OTHER = aliased(Send)


class AccountDown(Exception):
    """The account's SMTP login was refused: its remaining rows go back to the scheduler."""


class Sender:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        lock: EngineLock,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.soft_bounce_retry = SoftBounceRetry.from_settings(settings)
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.lock = lock
        self.worker_id = worker_id or settings.job_worker_id or default_worker_id()
        self.pool = ConnectionPool(settings.smtp_idle_seconds)
        self.lease = timedelta(seconds=settings.send_lease_seconds)
        self._pipelines: dict[uuid.UUID, asyncio.Task[int]] = {}
        self._stopping = asyncio.Event()
        self._last_recovery: float = 0.0
        self._resting: dict[uuid.UUID, float] = {}
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        self._pipelined = self._engine.dialect.name == "postgresql"
        self._endpoints: dict[uuid.UUID, tuple[object, SmtpEndpoint]] = {}
        self.commits = CommitWriter(self._engine, lock, clock, self.worker_id)

    # --- loops ---------------------------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        """The engine loop: keep one pipeline per account with due rows, until stopped."""
        self._stopping = stopping
        loop = asyncio.get_running_loop()
        try:
            while not stopping.is_set():
                if loop.time() - self._last_recovery >= RECOVER_EVERY_SECONDS:
                    self._last_recovery = loop.time()
                    await self.recover()
                await self._start_pipelines()
                await self.pool.close_idle()
                stop = asyncio.ensure_future(stopping.wait())
                await asyncio.wait(
                    [*self._pipelines.values(), stop],
                    timeout=self.settings.send_poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                stop.cancel()
        finally:
            await asyncio.gather(*self._pipelines.values(), return_exceptions=True)
            await self.pool.close()

    async def run_until_idle(self) -> int:
        """Send everything due now (tests drive the engine with this); how many rows were processed."""
        done = 0
        await self.recover()
        while True:
            accounts = await self._due_accounts()
            if not accounts:
                return done
            results = await asyncio.gather(*(self._pipeline(account_id) for account_id in accounts))
            if not any(results):
                return done
            done += sum(results)

    async def close(self) -> None:
        await self.pool.close()

    async def _start_pipelines(self) -> None:
        """A pipeline per account with due rows, except accounts whose pipeline just found nothing it
        could claim (another worker is sending from it, or its gap has not passed): they wait a poll."""
        now = asyncio.get_running_loop().time()
        for account_id, task in list(self._pipelines.items()):
            if task.done():
                del self._pipelines[account_id]
                self._resting[account_id] = now + self.settings.send_poll_interval
                if not task.cancelled() and task.exception() is not None:
                    log.error("sender pipeline for %s crashed", account_id, exc_info=task.exception())
        room = self.settings.send_max_accounts_in_flight - len(self._pipelines)
        for account_id in await self._due_accounts():
            if room <= 0:
                break
            if account_id not in self._pipelines and self._resting.get(account_id, 0.0) <= now:
                self._pipelines[account_id] = asyncio.create_task(self._pipeline(account_id))
                room -= 1

    async def _due_accounts(self) -> list[uuid.UUID]:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            rows = await session.scalars(
                select(Send.account_id)
                .where(Send.state == SendState.SCHEDULED, Send.due_at <= now, Send.account_id.is_not(None))
                .distinct()
            )
            return [account_id for account_id in rows if account_id is not None]

    async def _pipeline(self, account_id: uuid.UUID) -> int:
        """Send the account's due rows one after another, claimed in batches; how many were processed."""
        processed = 0
        while not self._stopping.is_set():
            batch = await self._claim(account_id)
            if not batch:
                break
            processed += len(batch)
            async with self.sessionmaker() as session:
                contexts = await composing.load_many(session, batch)
            sent: list[tuple[composing.SendContext, composing.Composed]] = []
            line = DatabaseLine(self._engine)
            try:
                for index, send in enumerate(batch):
                    if self._stopping.is_set():
                        await self._hand_back(batch[index:], outcomes.unclaim_many)
                        break
                    await self._keep_lease(batch[index:])
                    try:
                        composed = await self._deliver(send, contexts.get(send.id), line)
                    except AccountDown:
                        await self._hand_back(batch[index + 1 :], outcomes.release_many)
                        break
                    except Exception:
                        log.exception(
                            "%s: unexpected failure; recovered when its lease ends",
                            described(send, contexts.get(send.id)),
                        )
                        self.pool.drop(account_id)
                        continue
                    if composed is not None:
                        sent.append((contexts[send.id], composed))
                        if self._recording_due(sent):
                            await self._record_sent(sent)
                            sent = []
            finally:
                await line.close()
                await self._record_sent(sent)
        return processed

    def _recording_due(self, sent: list[tuple[composing.SendContext, composing.Composed]]) -> bool:
        """Whether to record the batch's sent rows before its end: `committed` rows get no lease
        extension, so they are recorded before a third of their lease has run (slow servers)."""
        first = sent[0][0].send.sent_at
        return first is not None and self.clock.now() - first > self.lease / 3

    async def _record_sent(self, sent: list[tuple[composing.SendContext, composing.Composed]]) -> None:
        """On SQLite in transactions of RECORD_CHUNK rows: each holds the one writer, and the other
        pipelines' commits (waiting mid-message) go between two of them."""
        size = max(1, len(sent)) if self._pipelined else RECORD_CHUNK
        for start in range(0, len(sent), size):
            async with self.lock, session_scope(self.sessionmaker) as session:
                chunk = sent[start : start + size]
                await outcomes.record_sent_many(session, chunk, self._holder(), self.clock.now())

    async def _keep_lease(self, sends: list[Send]) -> None:
        """Extend the lease on the batch's remaining rows once half of it has run out (slow servers)."""
        now = self.clock.now()
        expires = sends[0].lease_expires_at
        if expires is None or expires - now > self.lease / 2:
            return
        until = now + self.lease
        async with self.lock, session_scope(self.sessionmaker) as session:
            kept = set(
                await session.scalars(
                    update(Send)
                    .where(
                        Send.id.in_([send.id for send in sends]),
                        Send.state == SendState.SENDING,
                        self._holder(),
                    )
                    .values(lease_expires_at=until)
                    .returning(Send.id)
                    .execution_options(synchronize_session=False)
                )
            )
        for send in sends:
            if send.id in kept:
                send.lease_expires_at = until

    async def _hand_back(self, sends: list[Send], how: HandBack) -> None:
        if sends:
            async with self.lock, session_scope(self.sessionmaker) as session:
                await how(session, [send.id for send in sends], self._holder())

    # --- claiming ------------------------------------------------------------------------------------
    def _holder(self) -> ColumnElement[bool]:
        return Send.lease_owner == self.worker_id

    async def _claim(self, account_id: uuid.UUID) -> list[Send]:
        """Lease the account's next due rows: a batch when it has no sending gap, else one, and none
        while another of its rows is in flight (on any worker) or its gap has not passed."""
        now = self.clock.now()
        async with self.lock, session_scope(self.sessionmaker) as session:
            connection = await session.connection()
            if connection.dialect.name == "postgresql":
                key = {"key": advisory_key(account_id)}
                if not await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), key):
                    return []
            gap = await session.scalar(select(Account.sending_gap).where(Account.id == account_id)) or 0
            busy = exists().where(_OTHER.account_id == account_id, _OTHER.state.in_(IN_FLIGHT))
            conditions = [
                Send.account_id == account_id,
                Send.state == SendState.SCHEDULED,
                Send.due_at <= now,
                ~busy,
            ]
            if gap:
                recent = exists().where(
                    _OTHER.account_id == account_id, _OTHER.sent_at > now - timedelta(minutes=gap)
                )
                conditions.append(~recent)
            # A materialized CTE: as a plain IN (subquery), PostgreSQL may run the subquery more than
            # once and update more rows than its LIMIT.
            pick = (
                select(Send.id)
                .where(*conditions)
                .order_by(Send.due_at, Send.id)
                .limit(1 if gap else CLAIM_BATCH)
                .with_for_update(skip_locked=True)
                .cte("picked")
                .prefix_with("MATERIALIZED", dialect="postgresql")
            )
            claimed = await session.scalars(
                update(Send)
                .where(Send.id.in_(select(pick.c.id)), Send.state == SendState.SCHEDULED)
                .values(
                    state=SendState.SENDING,
                    lease_owner=self.worker_id,
                    lease_expires_at=now + self.lease,
                    attempts=Send.attempts + 1,
                )
                .returning(Send)
                .execution_options(synchronize_session=False)
            )
            return sorted(claimed, key=lambda send: (send.due_at, send.id))

    # --- one send ------------------------------------------------------------------------------------
    async def _deliver(
        self, send: Send, ctx: composing.SendContext | None, line: DatabaseLine
    ) -> composing.Composed | None:
        """Send one claimed row; the message when it went out (to be recorded), else None (whatever
        happened instead is recorded here). AccountDown when the account's login was refused."""
        now = self.clock.now()
        if ctx is None:
            await self._write(outcomes.release, send)
            return None
        stop = self._why_not(ctx)
        if stop == "lead":
            await self._write(outcomes.record_cancelled, send)
            return None
        if stop is not None:
            log.info("%s: not now (%s); handed back to the scheduler", described(send, ctx), stop)
            await self._write(outcomes.release, send)
            return None
        try:
            # Heavy user copy (Liquid tags, long bodies) renders in a thread so it cannot stall the loop;
            # light copy renders here, where a thread per message cost 40 % of the send rate.
            if composing.renders_light(ctx):
                composed = composing.compose(ctx, self.settings, now)
            else:
                composed = await asyncio.to_thread(composing.compose, ctx, self.settings, now)
            endpoint = self._endpoint(ctx.account)
        except (TemplateError, DkimError, InvalidToken, KeyError, IndexError) as error:
            await self._retry(ctx, f"cannot build the message: {error}", final=True)
            return None
        connection = self.pool.get(ctx.account.id, endpoint)

        async def commit(write_dot: WriteDot) -> StartCommit | None:
            committed_at = self.clock.now()
            lease_left = (send.lease_expires_at or committed_at) - committed_at
            if self._pipelined and lease_left > self.lease / 3:
                send.sent_at = committed_at
                return await prepare_commit(send, committed_at, self.worker_id, line)
            send.sent_at = await self.commits.commit(send.id, write_dot)
            return None

        try:
            await connection.send(
                mail_from=ctx.account.email,
                rcpt_to=composed.rcpt_to,
                message=composed.data,
                before_dot=commit,
                smtputf8=composed.smtputf8,
            )
        except NotCommitted as error:
            log.warning("%s: not sent (%s)", described(send, ctx), error.__cause__ or error)
            return None
        except UnconfirmedError as error:
            log.warning("%s: no reply to the final dot (%s); counted as sent", described(send, ctx), error)
        except SmtpAuthError as error:
            await self._auth_failed(ctx, error)
            raise AccountDown(ctx.account.email) from error
        except SmtpPermanentError as error:
            if error.stage in BOUNCE_STAGES:
                await self._bounce(ctx, error)
            else:
                await self._retry(ctx, error.reply)
            return None
        except SmtpError as error:
            await self._retry(ctx, error.reply)
            return None
        return composed

    def _why_not(self, ctx: composing.SendContext) -> str | None:
        lead, sequence = ctx.lead, ctx.sequence
        in_subsequence = sequence.subsequence is not None
        replied = stopped_by_reply(sequence.campaign, lead, in_subsequence=in_subsequence)
        sendable = SUBSEQUENCE_SENDABLE if in_subsequence else (LeadStatus.ACTIVE,)
        if lead.status not in sendable or replied or not lead.email:
            return "lead"
        if sequence.campaign.status not in flows.SENDING:
            return "campaign not sending"
        if sequence.subsequence is not None and sequence.subsequence.status != CampaignStatus.ACTIVE:
            return "subsequence not sending"
        if ctx.account.status != AccountStatus.ACTIVE:
            return "account not active"
        if ctx.send.step >= len(sequence.steps):
            return "step removed"
        if not in_schedule(sequence.schedule, self.clock.now()):
            return "outside the schedule"
        return None

    def _endpoint(self, account: Account) -> SmtpEndpoint:
        """The account's endpoint (with a password or XOAUTH2), built once per change of its row."""
        key = (account.id, account.timestamp_updated, account.smtp_password_encrypted)
        cached = self._endpoints.get(account.id)
        if cached is None or cached[0] != key:
            endpoint = smtp_endpoint_for(account, self.settings, self.sessionmaker)
            cached = self._endpoints[account.id] = (key, endpoint)
        return cached[1]

    async def _write(self, outcome: Outcome, send: Send) -> None:
        async with self.lock, session_scope(self.sessionmaker) as session:
            await outcome(session, send, self._holder())

    async def _bounce(self, ctx: composing.SendContext, error: SmtpError) -> None:
        log.info("%s: rejected: %s", described(ctx.send, ctx), error.reply)
        bounced = Bounced.refusal(error.reply, ctx.account.email)
        in_transaction = Send.state.in_((SendState.SENDING, SendState.COMMITTED)) & self._holder()
        async with self.lock, session_scope(self.sessionmaker) as session:
            await record_bounce(
                session, ctx.send, bounced, self.soft_bounce_retry, now=self.clock.now(), where=in_transaction
            )

    async def _retry(self, ctx: composing.SendContext, reason: str, *, final: bool = False) -> None:
        send, now = ctx.send, self.clock.now()
        retry_at = None
        if not final and send.attempts < self.settings.send_max_attempts:
            delay = outcomes.backoff(
                self.settings.send_retry_base_seconds, self.settings.send_retry_max_seconds, send.attempts
            )
            retry_at = now + delay
        log.info("%s: attempt %d failed (%s)", described(send, ctx), send.attempts, reason)
        async with self.lock, session_scope(self.sessionmaker) as session:
            await outcomes.record_retry(session, send, self._holder(), reason, retry_at=retry_at, now=now)

    async def _auth_failed(self, ctx: composing.SendContext, error: SmtpError) -> None:
        account = ctx.account
        self.pool.drop(account.id)
        async with self.lock, session_scope(self.sessionmaker) as session:
            fresh = await session.get(Account, account.id)
            if fresh is not None:
                await health.mark_connection_error(
                    session,
                    fresh,
                    f"SMTP login refused by {fresh.smtp_host}:{fresh.smtp_port}: {error.reply}",
                    code="EAUTH",
                    command="AUTH",
                    response=error.reply,
                    response_code=error.code,
                )
            await outcomes.release(session, ctx.send, self._holder())
            released = await outcomes.release_account(session, account.id)
        log.warning(
            "account %s: SMTP authentication failed; %d unsent rows handed back", account.email, released
        )

    async def recover(self) -> None:
        await send_recovery.recover(self.settings, self.sessionmaker, self.clock, self.lock)
