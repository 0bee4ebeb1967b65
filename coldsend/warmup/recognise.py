"""Telling warmup mail apart in a mailbox the inbox loop reads, so that it never becomes a reply, a bounce
or a Unibox email: its signed token, its Message-ID recorded when it was sent, or a Message-ID it refers
to (an answer to warmup mail, or a delivery report about it). A report that warmup mail bounced is a
strike against its sender's ramp.
"""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.models import WarmupMessage
from coldsend.warmup import sending, tokens


async def is_warmup(
    session: AsyncSession,
    settings: Settings,
    *,
    token: str | None,
    message_id: str | None,
    referenced: Sequence[str],
    bounce: bool,
) -> bool:
    """Whether the message is warmup mail or about warmup mail; a bounce of it is recorded."""
    if tokens.verify(settings, token) is not None:
        return True
    named = [value for value in (message_id, *referenced) if value]
    if not named:
        return False
    rows = list(await session.scalars(select(WarmupMessage).where(WarmupMessage.message_id.in_(named))))
    if not rows:
        return False
    if bounce:
        for row in rows:
            if row.message_id in referenced and not row.bounced:
                row.bounced = True
                await sending.strike(session, row.sender_id)
        await session.flush()
    return True
