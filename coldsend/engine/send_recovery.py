"""Recovery of sends whose worker vanished: a `sending` row was never given its final dot and goes again
(same Message-ID); a `committed` row got everything but the final dot's reply and is recorded as sent."""

import asyncio
import logging

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.engine.serial import EngineLock
from coldsend.mail.message import DkimError
from coldsend.mail.render import TemplateError
from coldsend.models import Send, SendState
from coldsend.sends import compose as composing
from coldsend.sends import outcomes

log = logging.getLogger(__name__)


def described(send: Send, ctx: composing.SendContext | None) -> str:
    """A send as log lines name it: by the addresses the API shows, and the row for who digs further."""
    if ctx is None:
        return f"send {send.id}"
    return f"send from {ctx.account.email} to {ctx.lead.email} (send {send.id})"


async def recover(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, lock: EngineLock
) -> None:
    """Rows whose worker vanished: `sending` ones go again (same Message-ID; the server never got
    the final dot), `committed` ones are recorded as sent."""
    now = clock.now()
    expired = Send.lease_expires_at < now
    # Read first, outside the engine lock: this runs every second, and on SQLite the UPDATE would hold
    # the one writer (and the sender's commits behind it) even when no lease has run out.
    async with sessionmaker() as session:
        stale = await session.scalar(
            select(Send.id).where(Send.state.in_((SendState.SENDING, SendState.COMMITTED)), expired).limit(1)
        )
    if stale is None:
        return
    async with lock, session_scope(sessionmaker) as session:
        result = await session.execute(
            update(Send)
            .where(Send.state == SendState.SENDING, expired)
            .values(state=SendState.SCHEDULED, lease_owner=None, lease_expires_at=None)
            .returning(Send.id)
            .execution_options(synchronize_session=False)
        )
        requeued = len(result.all())
    if requeued:
        log.warning("%d sends of a vanished worker requeued (same Message-IDs)", requeued)
    async with sessionmaker() as session:
        stranded = list(
            await session.scalars(select(Send).where(Send.state == SendState.COMMITTED, expired).limit(100))
        )
    for send in stranded:
        await _recover_committed(settings, sessionmaker, clock, lock, send)


async def _recover_committed(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    lock: EngineLock,
    send: Send,
) -> None:
    async with sessionmaker() as session:
        ctx = await composing.load(session, send)
    if ctx is None:
        return
    try:
        composed = await asyncio.to_thread(composing.compose, ctx, settings, send.sent_at or clock.now())
    except (TemplateError, DkimError, InvalidToken, KeyError, IndexError):
        log.exception("%s: committed but cannot be rebuilt to record it", described(send, ctx))
        return
    async with lock, session_scope(sessionmaker) as session:
        recorded = await outcomes.record_sent(
            session, ctx, composed, Send.lease_expires_at < clock.now(), clock.now()
        )
    if recorded:
        log.warning(
            "%s (%s) was committed by a vanished worker: counted as sent, not resent",
            described(send, ctx),
            send.message_id,
        )
