"""The receiving side's rules: which messages in a pool mailbox's INBOX or spam folder are warmup mail for
it, where each landed, and what is done with it, decided here and carried out over IMAP by the engine.

A message is this mailbox's warmup mail when its signed token names a row sent to it, or (a provider
stripped the header) when its Message-ID is one recorded for a message sent to it. Found in spam: landed
in spam, rescued to the INBOX at the sender's `spam_save_rate` (else filed from spam). Found in the
INBOX: landed in the inbox (unless it was rescued), marked read at `open_rate` (by opening it when
`read_emulation`), flagged at `important_rate`, answered at `reply_rate` (openers only), then filed into
the warmup folder. Rates are the sender's: they say how the pool treats that account's mail. Warmup mail
found in spam after it was filed was put there by the mailbox's user: a strike against its sender.
"""

import email
import email.policy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.mail.imap import Fetched
from coldsend.mail.message import new_message_id
from coldsend.models import Account, Landing, WarmupKind, WarmupMessage, WarmupState
from coldsend.warmup import library, pool, sending, tokens
from coldsend.warmup.plan import Options, chance, off_the_mark, seeded
from coldsend.warmup.planning import display_name

DELIVERED = (WarmupState.SENT, WarmupState.COMMITTED)
PENDING_LIMIT = 500
REPLY_DELAY_MINUTES = (12, 95)


@dataclass
class Actions:
    """What to do over IMAP in one folder, by UID."""

    seen: list[int] = field(default_factory=list)
    read: list[int] = field(default_factory=list)  # opened as a client would (read emulation)
    flag: list[int] = field(default_factory=list)
    rescue: list[int] = field(default_factory=list)  # to the INBOX
    file: list[int] = field(default_factory=list)  # to the warmup folder
    rescued_rows: list[uuid.UUID] = field(default_factory=list)
    filed_rows: list[uuid.UUID] = field(default_factory=list)


async def pending_message_ids(session: AsyncSession, account_id: uuid.UUID) -> list[str]:
    """Message-IDs of warmup mail sent to the mailbox and not filed yet (found by them when a provider
    strips the token header)."""
    rows = await session.scalars(
        select(WarmupMessage.message_id)
        .where(
            WarmupMessage.recipient_id == account_id,
            WarmupMessage.state.in_(DELIVERED),
            WarmupMessage.filed_at.is_(None),
        )
        .order_by(WarmupMessage.sent_at.desc())
        .limit(PENDING_LIMIT)
    )
    return list(rows)


def _headers(raw: bytes) -> tuple[str | None, str | None]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    message_id = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32).get("Message-ID")
    return tokens.token_in(raw), (str(message_id).strip() if message_id else None)


async def identify(
    session: AsyncSession, settings: Settings, account: Account, fetched: list[Fetched]
) -> list[tuple[int, WarmupMessage]]:
    """(UID, row) of each fetched message that is warmup mail sent to this mailbox."""
    by_token: dict[uuid.UUID, int] = {}
    by_message_id: dict[str, int] = {}
    for item in fetched:
        token, message_id = _headers(item.raw)
        row_id = tokens.verify(settings, token)
        if row_id is not None:
            by_token[row_id] = item.uid
        elif message_id:
            by_message_id[message_id] = item.uid
    if not by_token and not by_message_id:
        return []
    rows = await session.scalars(
        select(WarmupMessage).where(
            WarmupMessage.recipient_id == account.id,
            WarmupMessage.state.in_(DELIVERED),
            or_(WarmupMessage.id.in_(list(by_token)), WarmupMessage.message_id.in_(list(by_message_id))),
        )
    )
    found = []
    for row in rows:
        uid = by_token.get(row.id, by_message_id.get(row.message_id))
        if uid is not None:
            found.append((uid, row))
    return sorted(found, key=lambda pair: pair[0])


async def _attached(
    session: AsyncSession, found: list[tuple[int, WarmupMessage]]
) -> list[tuple[int, WarmupMessage]]:
    """The found rows read again in this session, to be changed in it."""
    ids = [row.id for _uid, row in found]
    fresh = {
        row.id: row for row in await session.scalars(select(WarmupMessage).where(WarmupMessage.id.in_(ids)))
    }
    return [(uid, fresh[row.id]) for uid, row in found if row.id in fresh]


async def _senders(session: AsyncSession, rows: list[WarmupMessage]) -> dict[uuid.UUID, Account]:
    ids = {row.sender_id for row in rows}
    return {
        account.id: account for account in await session.scalars(select(Account).where(Account.id.in_(ids)))
    }


async def in_spam(
    session: AsyncSession, settings: Settings, found: list[tuple[int, WarmupMessage]], now: datetime
) -> Actions:
    """Record warmup mail found in the spam folder; what to rescue and what to file from there."""
    actions = Actions()
    found = await _attached(session, found)
    senders = await _senders(session, [row for _uid, row in found])
    for uid, row in found:
        if row.filed_at is not None:
            if not row.user_spam:
                row.user_spam = True
                await sending.strike(session, row.sender_id)
            actions.rescue.append(uid)
            continue
        if row.landed is None:
            row.landed, row.landed_at = Landing.SPAM, now
        options = Options.of(senders[row.sender_id].warmup if row.sender_id in senders else None, settings)
        if chance(row.id, "rescue") < options.spam_save_rate:
            actions.rescue.append(uid)
            actions.rescued_rows.append(row.id)
        else:
            actions.file.append(uid)
            actions.filed_rows.append(row.id)
    await session.flush()
    return actions


async def in_inbox(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    found: list[tuple[int, WarmupMessage]],
    now: datetime,
) -> Actions:
    """Record warmup mail found in the INBOX, plan its replies; what to mark and file."""
    actions = Actions()
    found = await _attached(session, found)
    senders = await _senders(session, [row for _uid, row in found])
    for uid, row in found:
        actions.file.append(uid)
        actions.filed_rows.append(row.id)
        if row.landed is None:
            row.landed, row.landed_at = Landing.INBOX, now
        if row.filed_at is not None:
            continue  # filed before, put back by a rescue: filed again, nothing more
        sender = senders.get(row.sender_id)
        options = Options.of(sender.warmup if sender else None, settings)
        if chance(row.id, "read") < options.open_rate:
            (actions.read if options.read_emulation else actions.seen).append(uid)
            row.marked_read = True
        if chance(row.id, "important") < options.important_rate:
            actions.flag.append(uid)
            row.marked_important = True
        if (
            sender is not None
            and row.kind == WarmupKind.OPENER
            and chance(row.id, "reply") < options.reply_rate
        ):
            await plan_reply(session, settings, row, account, sender, now)
    await session.flush()
    return actions


async def plan_reply(
    session: AsyncSession,
    settings: Settings,
    parent: WarmupMessage,
    replier: Account,
    original_sender: Account,
    now: datetime,
) -> None:
    """The answer to `parent`, from the mailbox that received it, a while later (once per message)."""
    if not sending.sendable(replier, original_sender):
        return
    if await session.scalar(select(WarmupMessage.id).where(WarmupMessage.parent_id == parent.id)):
        return
    rng = seeded(parent.id)
    options = Options.of(replier.warmup, settings)
    text = library.reply(
        rng,
        subject=parent.subject,
        sender_name=display_name(replier),
        recipient_name=display_name(original_sender),
        tag=options.tag,
    )
    due = off_the_mark(now + timedelta(minutes=rng.randint(*REPLY_DELAY_MINUTES)), rng)
    references = " ".join(part for part in (parent.references, parent.message_id) if part)
    session.add(
        WarmupMessage(
            workspace_id=replier.workspace_id,
            pool_id=parent.pool_id,
            sender_id=replier.id,
            recipient_id=original_sender.id,
            sender_email=replier.email,
            recipient_email=original_sender.email,
            day=due.date(),
            kind=WarmupKind.REPLY,
            parent_id=parent.id,
            subject=text.subject,
            body=text.body,
            message_id=new_message_id(pool.domain_of(replier.email)),
            in_reply_to=parent.message_id,
            references=references,
            state=WarmupState.PLANNED,
            due_at=due,
        )
    )


async def done(session: AsyncSession, actions: Actions, now: datetime) -> None:
    """What the IMAP side carried out: rescued rows, and rows filed into the warmup folder."""
    if actions.rescued_rows:
        await session.execute(
            update(WarmupMessage)
            .where(WarmupMessage.id.in_(actions.rescued_rows))
            .values(rescued=True)
            .execution_options(synchronize_session=False)
        )
    if actions.filed_rows:
        await session.execute(
            update(WarmupMessage)
            .where(WarmupMessage.id.in_(actions.filed_rows), WarmupMessage.filed_at.is_(None))
            .values(filed_at=now)
            .execution_options(synchronize_session=False)
        )
