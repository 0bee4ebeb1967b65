"""Inbox placement tests: the rules of create, list, get, patch and delete (no HTTP types, no commit)."""

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import normalize_email
from coldsend.db.repository import get_in_workspace, keyset_page
from coldsend.errors import BadRequest
from coldsend.inbox_placement import schedule as schedules
from coldsend.inbox_placement import seeds as seed_service
from coldsend.inbox_placement.schemas import (
    PlacementTest,
    PlacementTestCreate,
    PlacementTestUpdate,
    RecipientLabel,
)
from coldsend.models import (
    Account,
    Campaign,
    CustomTag,
    CustomTagMapping,
    PlacementAutomationRun,
    PlacementCopy,
    PlacementReport,
    PlacementRun,
    PlacementSeed,
    PlacementTestStatus,
    PlacementTestType,
    ResourceType,
    SendingMethod,
)
from coldsend.models import PlacementTest as PlacementTestRow

CODE_PREFIX = "ptid_"


def normal_code(code: str | None) -> str | None:
    """`ptid_` added when omitted; a blank code is none."""
    if code is None or not code.strip():
        return None
    code = code.strip()
    return code if code.startswith(CODE_PREFIX) else CODE_PREFIX + code


def new_code() -> str:
    return CODE_PREFIX + secrets.token_urlsafe(16).replace("-", "x")[:21]


async def sender_accounts(
    session: AsyncSession, workspace_id: uuid.UUID, emails: Sequence[str], tags: Sequence[str] | None
) -> list[Account]:
    """The accounts named in `emails` or tagged with one of `tags`; a 400 names any address that is not
    an account of the workspace, or that is a seed."""
    named: list[str] = []
    for raw in emails:
        try:
            named.append(normalize_email(raw))
        except ValueError:
            raise BadRequest(f"emails: {raw!r} is not an email address") from None
    tagged: list[str] = []
    if tags:
        tagged = list(
            await session.scalars(
                select(CustomTagMapping.resource_id).where(
                    CustomTagMapping.workspace_id == workspace_id,
                    CustomTagMapping.resource_type == ResourceType.ACCOUNT,
                    CustomTagMapping.tag_id.in_([uuid.UUID(str(tag)) for tag in tags]),
                )
            )
        )
    wanted = sorted({*named, *(email.lower() for email in tagged)})
    accounts = {
        account.email: account
        for account in await session.scalars(
            select(Account).where(Account.workspace_id == workspace_id, Account.email.in_(wanted))
        )
    }
    unknown = [email for email in named if email not in accounts]
    if unknown:
        raise BadRequest(f"emails: no sender account {', '.join(unknown)} in this workspace")
    seeded = set(
        await session.scalars(
            select(PlacementSeed.account_id).where(
                PlacementSeed.account_id.in_([account.id for account in accounts.values()])
            )
        )
    )
    if named_seeds := [account.email for account in accounts.values() if account.id in seeded]:
        raise BadRequest(f"emails: {', '.join(named_seeds)} is a placement seed, which never sends tests")
    return [accounts[email] for email in wanted if email in accounts]


async def _check_references(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    campaign_id: uuid.UUID | None,
    tags: Sequence[uuid.UUID],
) -> None:
    if (
        campaign_id is not None
        and await get_in_workspace(session, Campaign, workspace_id, campaign_id) is None
    ):
        raise BadRequest(f"campaign_id: no campaign {campaign_id} in this workspace")
    if tags:
        found = set(
            await session.scalars(
                select(CustomTag.id).where(
                    CustomTag.workspace_id == workspace_id, CustomTag.id.in_(list(tags))
                )
            )
        )
        missing = [str(tag) for tag in tags if tag not in found]
        if missing:
            raise BadRequest(f"no custom tag {', '.join(missing)} in this workspace")


def _automation_tags(automations: Sequence[Any] | None) -> list[uuid.UUID]:
    return [
        tag
        for automation in automations or []
        for tag in [*(automation.then.add_tags or []), *(automation.then.remove_tags or [])]
    ]


def _check_schedule(test_type: int, schedule: dict[str, Any] | None) -> None:
    if test_type == PlacementTestType.AUTOMATED and not schedules.can_run(schedule):
        raise BadRequest("schedule: an automated test (type 2) needs a schedule with at least one day on")


async def create(
    session: AsyncSession, *, workspace_id: uuid.UUID, test_in: PlacementTestCreate, now: datetime
) -> PlacementTestRow:
    schedule = test_in.schedule.model_dump(by_alias=True) if test_in.schedule else None
    _check_schedule(test_in.type, schedule)
    await _check_references(
        session,
        workspace_id,
        campaign_id=test_in.campaign_id,
        tags=[*(test_in.tags or []), *_automation_tags(test_in.automations)],
    )
    code = normal_code(test_in.test_code)
    emails = list(test_in.emails)
    seeds = await seed_service.recipients(session, workspace_id, test_in.recipients_labels)
    if not seeds:
        raise BadRequest("no seeds: register seed mailboxes matching recipients_labels first")
    if int(test_in.sending_method) == SendingMethod.COLDSEND:
        senders = await sender_accounts(
            session, workspace_id, emails, [str(tag) for tag in test_in.tags or []]
        )
        if not senders:
            raise BadRequest("emails: a test sent from Coldsend needs at least one sender account")
        lonely = [sender.email for sender in senders if not seed_service.for_sender(seeds, sender.email)]
        if lonely:
            raise BadRequest(f"no seeds for {', '.join(lonely)}: every seed is on the sender's own domain")
        emails = [normalize_email(email) for email in emails]
    else:
        code = code or new_code()
    if int(test_in.type) == PlacementTestType.AUTOMATED and not test_in.run_immediately:
        next_run = schedules.next_run(schedule, now)
    else:
        next_run = now
    test = PlacementTestRow(
        workspace_id=workspace_id,
        name=test_in.name,
        description=test_in.description,
        type=test_in.type,
        sending_method=test_in.sending_method,
        delivery_mode=test_in.delivery_mode,
        campaign_id=test_in.campaign_id,
        email_subject=test_in.email_subject,
        email_body=test_in.email_body,
        emails=emails,
        test_code=code,
        tags=[str(tag) for tag in test_in.tags] if test_in.tags is not None else None,
        text_only=test_in.text_only,
        recipients_labels=[label.model_dump() for label in test_in.recipients_labels],
        schedule=schedule,
        timestamp_next_run=next_run,
        automations=_automations(test_in.automations),
        status=test_in.status or PlacementTestStatus.ACTIVE,
        timestamp_created=now,
        timestamp_updated=now,
    )
    session.add(test)
    await session.flush()
    return test


def _automations(automations: Sequence[Any] | None) -> list[dict[str, Any]] | None:
    if automations is None:
        return None
    return [automation.model_dump(mode="json", exclude_none=True) for automation in automations]


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, test_id: uuid.UUID
) -> PlacementTestRow | None:
    return await get_in_workspace(session, PlacementTestRow, workspace_id, test_id)


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    search: str | None,
    status: int | None,
    descending: bool,
) -> tuple[Sequence[PlacementTestRow], bool]:
    stmt = select(PlacementTestRow).where(PlacementTestRow.workspace_id == workspace_id)
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(
            or_(PlacementTestRow.name.ilike(pattern), PlacementTestRow.description.ilike(pattern))
        )
    if status is not None:
        stmt = stmt.where(PlacementTestRow.status == status)
    return await keyset_page(
        session, stmt, key=PlacementTestRow.id, limit=limit, after=after, descending=descending
    )


async def update(
    session: AsyncSession, test: PlacementTestRow, *, test_in: PlacementTestUpdate, now: datetime
) -> PlacementTestRow:
    changes = test_in.model_fields_set
    if "automations" in changes:
        await _check_references(
            session, test.workspace_id, campaign_id=None, tags=_automation_tags(test_in.automations)
        )
        test.automations = _automations(test_in.automations)
    if "name" in changes and test_in.name is not None:
        test.name = test_in.name
    if "schedule" in changes:
        schedule = test_in.schedule.model_dump(by_alias=True) if test_in.schedule else None
        _check_schedule(test.type, schedule)
        test.schedule = schedule
        if test.type == PlacementTestType.AUTOMATED:
            test.timestamp_next_run = schedules.next_run(schedule, now)
    if "status" in changes and test_in.status is not None:
        resumed = (
            test.status != PlacementTestStatus.ACTIVE and int(test_in.status) == PlacementTestStatus.ACTIVE
        )
        test.status = test_in.status
        if resumed and test.type == PlacementTestType.AUTOMATED:
            test.timestamp_next_run = schedules.next_run(test.schedule, now)
    test.timestamp_updated = now
    await session.flush()
    return test


async def delete_test(session: AsyncSession, test: PlacementTestRow) -> None:
    """The test and everything measured for it."""
    for model in (PlacementAutomationRun, PlacementReport, PlacementCopy, PlacementRun):
        await session.execute(delete(model).where(model.test_id == test.id))
    await session.delete(test)
    await session.flush()


async def shown(
    session: AsyncSession, test: PlacementTestRow, *, with_metadata: bool = False
) -> PlacementTest:
    """The API's view of a test: its recipients are the seeds its labels pick now."""
    labels = [RecipientLabel.model_validate(label) for label in test.recipients_labels or []]
    recipients = [seed.email for seed in await seed_service.recipients(session, test.workspace_id, labels)]
    metadata = await _metadata(session, test) if with_metadata else None
    return PlacementTest.model_validate(
        {
            **{
                column: getattr(test, column)
                for column in PlacementTest.model_fields
                if hasattr(test, column)
            },
            "organization_id": test.workspace_id,
            "recipients": recipients,
            "recipients_labels": labels,
            "metadata": metadata,
        }
    )


async def _metadata(session: AsyncSession, test: PlacementTestRow) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if test.campaign_id is not None:
        campaign = await session.get(Campaign, test.campaign_id)
        if campaign is not None:
            metadata["campaign"] = {"id": str(campaign.id), "name": campaign.name}
    if test.tags:
        rows = await session.scalars(
            select(CustomTag).where(CustomTag.id.in_([uuid.UUID(tag) for tag in test.tags]))
        )
        metadata["tags"] = {str(tag.id): {"id": str(tag.id), "label": tag.label} for tag in rows}
    return metadata
