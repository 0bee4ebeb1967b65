"""Where each copy landed: the rules of reading a seed, decided here and searched over IMAP by the engine.

A run's seeds are searched while it is reading: in each folder (INBOX, the spam folder, then the others),
for the Message-IDs of its copies not found yet (tests sent from Coldsend), or for the run's `test_code`
(tests sent from outside, one row per message found). A copy found is `record_type` 2 (received) with its
folder, whether that is the spam folder, whether Gmail filed it under a category tab, the seed's own
SPF/DKIM/DMARC verdicts and the IP it came from. Copies not found by the run's `missing_after` are missing.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.inbox_placement import authresults, providers
from coldsend.mail.imap import Fetched
from coldsend.models import (
    Account,
    CopyState,
    PlacementCopy,
    PlacementRun,
    PlacementSeed,
    RecordType,
    RunState,
)

GMAIL_CATEGORIES = "category:promotions OR category:social OR category:updates OR category:forums"
READ_BATCH = 20
RAW_LIMIT = 500_000  # longest received copy kept for SpamAssassin


@dataclass(frozen=True)
class Landed:
    """A message found in a seed's folder."""

    fetched: Fetched
    folder: str
    spam: bool
    category: bool | None  # None where the server cannot tell (no X-GM-EXT-1)


async def claim_runs(session: AsyncSession, now: datetime, interval_seconds: float) -> list[PlacementRun]:
    """Reading runs whose seeds are due to be searched, stamped so other workers leave them."""
    due = or_(
        PlacementRun.read_at.is_(None), PlacementRun.read_at <= now - timedelta(seconds=interval_seconds)
    )
    pick = (
        select(PlacementRun.id)
        .where(PlacementRun.state == RunState.READING, due)
        .order_by(PlacementRun.read_at.nulls_first(), PlacementRun.id)
        .limit(READ_BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(
        await session.scalars(
            update(PlacementRun)
            .where(PlacementRun.id.in_(pick), due)
            .values(read_at=now)
            .returning(PlacementRun)
            .execution_options(synchronize_session=False)
        )
    )


async def pending(session: AsyncSession, run: PlacementRun) -> dict[uuid.UUID, list[PlacementCopy]]:
    """The run's copies sent and not found yet, by seed."""
    rows = await session.scalars(
        select(PlacementCopy).where(
            PlacementCopy.run_id == run.id,
            PlacementCopy.state.in_((CopyState.SENT, CopyState.COMMITTED)),
            PlacementCopy.record_type == RecordType.SENT,
        )
    )
    by_seed: dict[uuid.UUID, list[PlacementCopy]] = {}
    for row in rows:
        if row.seed_id is not None:
            by_seed.setdefault(row.seed_id, []).append(row)
    return by_seed


async def seeds_of(
    session: AsyncSession, run: PlacementRun, seed_ids: list[uuid.UUID] | None
) -> list[PlacementSeed]:
    stmt = select(PlacementSeed).where(PlacementSeed.workspace_id == run.workspace_id)
    if seed_ids is not None:
        stmt = stmt.where(PlacementSeed.id.in_(seed_ids))
    return list(await session.scalars(stmt.order_by(PlacementSeed.email)))


def message_id_of(raw: bytes) -> str | None:
    value = authresults.headers_of(raw).get("Message-ID")
    return str(value).strip() if value else None


def _found(copy: PlacementCopy, landed: Landed, now: datetime) -> None:
    message = authresults.headers_of(landed.fetched.raw)
    verdicts = authresults.authentication(message)
    copy.record_type = RecordType.RECEIVED
    copy.found_at = now
    copy.folder = landed.folder[:500]
    copy.is_spam = landed.spam
    copy.has_category = landed.category
    copy.missing = False
    copy.spf_pass, copy.dkim_pass, copy.dmarc_pass = (
        verdicts.spf_pass,
        verdicts.dkim_pass,
        verdicts.dmarc_pass,
    )
    copy.authentication_failure_results = verdicts.failures
    copy.smtp_ip = authresults.sending_ip(message)
    if not landed.fetched.truncated and len(landed.fetched.raw) <= RAW_LIMIT:
        copy.raw = landed.fetched.raw.decode("utf-8", errors="replace")


async def record_copies(
    session: AsyncSession, copies: list[PlacementCopy], landed: list[Landed], now: datetime
) -> int:
    """Copies (of one seed) found among the landed messages, by Message-ID; how many were new."""
    by_message_id = {message_id_of(item.fetched.raw): item for item in landed}
    fresh = {
        row.id: row
        for row in await session.scalars(
            select(PlacementCopy).where(PlacementCopy.id.in_([copy.id for copy in copies]))
        )
    }
    found = 0
    for copy in fresh.values():
        item = by_message_id.get(copy.message_id)
        if item is not None and copy.record_type != RecordType.RECEIVED:
            _found(copy, item, now)
            found += 1
    await session.flush()
    return found


def sender_of(raw: bytes) -> str | None:
    """The From address of a message sent from outside Coldsend."""
    return parseaddr(str(authresults.headers_of(raw).get("From", "")))[1].lower() or None


async def record_outside(
    session: AsyncSession,
    run: PlacementRun,
    seed: PlacementSeed,
    landed: list[Landed],
    now: datetime,
    sender_esps: dict[str, str],
) -> int:
    """Messages carrying the run's test code in a seed, each recorded once (by its Message-ID), with the
    provider of its sender's domain from `sender_esps`."""
    found = 0
    for item in landed:
        message_id = message_id_of(item.fetched.raw)
        key = f"{run.id}:{seed.id}:{message_id}"[:998]
        if await session.scalar(select(PlacementCopy.id).where(PlacementCopy.message_id == key)):
            continue
        sender = sender_of(item.fetched.raw)
        domain = sender.rpartition("@")[2] if sender else None
        copy = PlacementCopy(
            workspace_id=run.workspace_id,
            test_id=run.test_id,
            run_id=run.id,
            seed_id=seed.id,
            sender_email=sender,
            recipient_email=seed.email,
            sender_esp=providers.esp_code(sender_esps.get(domain)) if domain else None,
            recipient_esp=providers.esp_code(seed.esp),
            recipient_geo=providers.geo_code(seed.sub_region),
            recipient_type=providers.type_code(seed.type),
            message_id=key,
            state=CopyState.SENT,
            timestamp_created=now,
            timestamp_updated=now,
        )
        _found(copy, item, now)
        session.add(copy)
        found += 1
    await session.flush()
    return found


async def note_seed(session: AsyncSession, seed_id: uuid.UUID, error: str | None) -> None:
    await session.execute(
        update(PlacementSeed)
        .where(PlacementSeed.id == seed_id, PlacementSeed.read_error.is_distinct_from(error))
        .values(read_error=error)
        .execution_options(synchronize_session=False)
    )


async def accounts_of(session: AsyncSession, seeds: list[PlacementSeed]) -> dict[uuid.UUID, Account]:
    ids = [seed.account_id for seed in seeds if seed.account_id is not None]
    if not ids:
        return {}
    return {
        account.id: account for account in await session.scalars(select(Account).where(Account.id.in_(ids)))
    }


async def finish_reading(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Reading runs that are complete (every copy found) or past `missing_after`: the copies not found
    are missing, and the run goes on to its reports."""
    runs = list(await session.scalars(select(PlacementRun).where(PlacementRun.state == RunState.READING)))
    moved = []
    for run in runs:
        outstanding = await session.scalar(
            select(PlacementCopy.id)
            .where(
                PlacementCopy.run_id == run.id,
                PlacementCopy.record_type == RecordType.SENT,
                PlacementCopy.state.in_((CopyState.SENT, CopyState.COMMITTED)),
            )
            .limit(1)
        )
        planned = await session.scalar(
            select(PlacementCopy.id)
            .where(PlacementCopy.run_id == run.id, PlacementCopy.account_id.is_not(None))
            .limit(1)
        )
        due = run.missing_after is not None and _aware(run.missing_after) <= now
        complete = outstanding is None and planned is not None
        if not (due or complete):
            continue
        await session.execute(
            update(PlacementCopy)
            .where(PlacementCopy.run_id == run.id, PlacementCopy.record_type == RecordType.SENT)
            .values(missing=True)
            .execution_options(synchronize_session=False)
        )
        run.state = RunState.REPORTING
        moved.append(run.id)
    await session.flush()
    return moved


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
