"""Starting a run of a test that is due: the run row (once per test and scheduled time, whichever worker
gets there first), its copies planned (one per sender and seed; one by one about a minute apart,
alternating providers, or all together), and the test's next run moved on (none for a one-time test)."""

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.config import Settings
from coldsend.dns import mx_hosts
from coldsend.inbox_placement import providers
from coldsend.inbox_placement import schedule as schedules
from coldsend.inbox_placement import seeds as seed_service
from coldsend.inbox_placement import service as test_service
from coldsend.inbox_placement.schemas import RecipientLabel
from coldsend.mail.message import new_message_id
from coldsend.models import (
    DeliveryMode,
    PlacementCopy,
    PlacementRun,
    PlacementSeed,
    PlacementTest,
    PlacementTestStatus,
    PlacementTestType,
    RunState,
    SendingMethod,
)

DUE_BATCH = 20


async def due_tests(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(PlacementTest.id)
            .where(
                PlacementTest.status == PlacementTestStatus.ACTIVE, PlacementTest.timestamp_next_run <= now
            )
            .order_by(PlacementTest.timestamp_next_run)
            .limit(DUE_BATCH)
        )
    )


def _interleaved(pairs: list[tuple[str, PlacementSeed]]) -> list[tuple[str, PlacementSeed]]:
    """One by one: providers take turns (Google, Microsoft, Yahoo, Google...), and so do senders."""
    by_esp: dict[str, list[tuple[str, PlacementSeed]]] = defaultdict(list)
    for pair in sorted(pairs, key=lambda pair: (pair[1].email, pair[0])):
        by_esp[pair[1].esp].append(pair)
    queues = [by_esp[esp] for esp in sorted(by_esp)]
    ordered = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


async def sender_esps(emails: set[str], settings: Settings) -> dict[str, str]:
    """The provider of each sending domain (by its MX hosts, as a seed's)."""
    found = {}
    for domain in {seed_service.domain_of(email) for email in emails}:
        found[domain] = providers.classify(await mx_hosts(domain, nameservers=settings.dns_nameservers))
    return found


async def start(session: AsyncSession, settings: Settings, test_id: uuid.UUID, now: datetime) -> int:
    """Start the test's due run; how many copies were planned (0 also when another worker started it)."""
    test = await session.scalar(select(PlacementTest).where(PlacementTest.id == test_id).with_for_update())
    if (
        test is None
        or test.status != PlacementTestStatus.ACTIVE
        or test.timestamp_next_run is None
        or test.timestamp_next_run > now
    ):
        return 0
    scheduled_for = test.timestamp_next_run
    taken = await session.scalar(
        select(PlacementRun.id).where(
            PlacementRun.test_id == test.id, PlacementRun.scheduled_for == scheduled_for
        )
    )
    test.timestamp_next_run = (
        schedules.next_run(test.schedule, max(scheduled_for, now))
        if test.type == PlacementTestType.AUTOMATED
        else None
    )
    if taken is not None:
        return 0
    run = PlacementRun(
        workspace_id=test.workspace_id,
        test_id=test.id,
        scheduled_for=scheduled_for,
        test_code=test.test_code,
        state=RunState.SENDING,
    )
    session.add(run)
    await session.flush()
    labels = [RecipientLabel.model_validate(label) for label in test.recipients_labels or []]
    seeds = await seed_service.recipients(session, test.workspace_id, labels)
    if test.sending_method == SendingMethod.OUTSIDE:
        run.state = RunState.READING
        run.missing_after = now + timedelta(minutes=settings.placement_missing_minutes)
        return 0
    senders = await test_service.sender_accounts(session, test.workspace_id, test.emails, test.tags)
    pairs = [
        (sender.email, seed) for sender in senders for seed in seed_service.for_sender(seeds, sender.email)
    ]
    if test.delivery_mode == DeliveryMode.ONE_BY_ONE:
        pairs = _interleaved(pairs)
    accounts = {sender.email: sender for sender in senders}
    esps = await sender_esps(set(accounts), settings)
    gap = timedelta(seconds=settings.placement_one_by_one_seconds)
    for index, (sender_email, seed) in enumerate(pairs):
        account = accounts[sender_email]
        domain = seed_service.domain_of(sender_email)
        session.add(
            PlacementCopy(
                workspace_id=test.workspace_id,
                test_id=test.id,
                run_id=run.id,
                seed_id=seed.id,
                account_id=account.id,
                sender_email=sender_email,
                recipient_email=seed.email,
                sender_esp=providers.esp_code(esps.get(domain)),
                recipient_esp=providers.esp_code(seed.esp),
                recipient_geo=providers.geo_code(seed.sub_region),
                recipient_type=providers.type_code(seed.type),
                message_id=new_message_id(domain),
                due_at=now + gap * index if test.delivery_mode == DeliveryMode.ONE_BY_ONE else now,
                timestamp_created=now,
                timestamp_updated=now,
            )
        )
    if not pairs:
        run.state = RunState.READING
        run.missing_after = now
    await session.flush()
    return len(pairs)
