"""Automations of a test, checked when one of its runs has its reports: when the run's inbox placement
(inbox copies of all copies, in percent) is below or above the threshold, or its sending IPs or domains
were added to (or removed from) blacklists since the test's previous run, the actions are taken.

Each automation acts at most once per run: the record of it firing is written in the transaction of its
actions, keyed by (run, automation). Actions: a webhook call (a POST to the automation's `webhook_url`,
made by the engine once the firing is committed, retried on the webhook schedule: `automation_webhooks`),
pausing the campaigns that send from the test's accounts (and the test's campaign) for N days or until
resumed, slow ramp on or off for those accounts, and tags added to or removed from them.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import flows
from coldsend.custom_tag_mappings import service as mapping_service
from coldsend.errors import BadRequest
from coldsend.inbox_placement import analytics, automation_webhooks, reports
from coldsend.models import (
    Account,
    Campaign,
    CampaignStatus,
    PlacementAutomationRun,
    PlacementCopy,
    PlacementRun,
    PlacementTest,
    ResourceType,
    RunState,
)

log = logging.getLogger(__name__)


async def _previous_run(session: AsyncSession, run: PlacementRun) -> PlacementRun | None:
    found: PlacementRun | None = await session.scalar(
        select(PlacementRun)
        .where(
            PlacementRun.test_id == run.test_id,
            PlacementRun.scheduled_for < run.scheduled_for,
            PlacementRun.state.in_((RunState.DONE, RunState.REPORTING)),
        )
        .order_by(PlacementRun.scheduled_for.desc())
        .limit(1)
    )
    return found


async def _fired(
    session: AsyncSession, run: PlacementRun, test: PlacementTest
) -> list[tuple[int, dict[str, Any], float | None]]:
    copies = list(await session.scalars(select(PlacementCopy).where(PlacementCopy.run_id == run.id)))
    counts = analytics.tally(copies)
    placement = counts.percents()[0] if counts.count else None
    now_listed = await reports.listings(session, run.id)
    previous = await _previous_run(session, run)
    before = await reports.listings(session, previous.id) if previous else set()
    fired: list[tuple[int, dict[str, Any], float | None]] = []
    for index, automation in enumerate(test.automations or []):
        when = automation.get("when", {})
        condition, threshold = when.get("condition"), when.get("condition_value")
        if condition == "placement_goes_below" and placement is not None and placement < float(threshold):
            fired.append((index, automation, placement))
        elif condition == "placement_goes_above" and placement is not None and placement > float(threshold):
            fired.append((index, automation, placement))
        elif condition == "added_to_blacklists" and now_listed - before:
            fired.append((index, automation, float(len(now_listed - before))))
        elif condition == "removed_from_blacklists" and previous is not None and before - now_listed:
            fired.append((index, automation, float(len(before - now_listed))))
    return fired


async def _senders(session: AsyncSession, run: PlacementRun) -> list[Account]:
    ids = set(
        await session.scalars(
            select(PlacementCopy.account_id).where(
                PlacementCopy.run_id == run.id, PlacementCopy.account_id.is_not(None)
            )
        )
    )
    return list(await session.scalars(select(Account).where(Account.id.in_(ids)).order_by(Account.email)))


async def _campaigns(session: AsyncSession, test: PlacementTest, senders: list[Account]) -> list[Campaign]:
    """The test's campaign, and the workspace's campaigns that send from one of the test's accounts."""
    emails = {account.email for account in senders}
    found = []
    for campaign in await session.scalars(
        select(Campaign).where(Campaign.workspace_id == test.workspace_id).order_by(Campaign.id)
    ):
        if campaign.id == test.campaign_id or emails & {email.lower() for email in campaign.email_list or []}:
            found.append(campaign)
    return found


async def _pause(session: AsyncSession, campaigns: list[Campaign]) -> list[str]:
    paused = []
    for campaign in campaigns:
        if campaign.status not in flows.PAUSABLE:
            continue
        await flows.pause(session, campaign)
        paused.append(str(campaign.id))
    return paused


async def _act(
    session: AsyncSession,
    run: PlacementRun,
    test: PlacementTest,
    index: int,
    automation: dict[str, Any],
    value: float | None,
    now: datetime,
) -> bool:
    if await session.scalar(
        select(PlacementAutomationRun.id).where(
            PlacementAutomationRun.run_id == run.id, PlacementAutomationRun.automation == index
        )
    ):
        return False
    then: dict[str, Any] = automation.get("then", {})
    senders = await _senders(session, run)
    record = PlacementAutomationRun(
        run_id=run.id,
        automation=index,
        test_id=test.id,
        workspace_id=test.workspace_id,
        condition=automation["when"]["condition"],
        value=value,
        actions=then,
        timestamp_created=now,
    )
    session.add(record)
    days = then.get("pause_sending_campaigns_for")
    if days or then.get("pause"):
        record.paused_campaigns = await _pause(session, await _campaigns(session, test, senders))
        record.resume_at = now + timedelta(days=float(days)) if days else None
    if then.get("enable_slow_ramp") or then.get("disable_slow_ramp"):
        for account in senders:
            account.enable_slow_ramp = bool(then.get("enable_slow_ramp"))
    emails = [account.email for account in senders]
    for key, change in (("add_tags", mapping_service.assign), ("remove_tags", mapping_service.unassign)):
        if then.get(key) and emails:
            await change(
                session,
                workspace_id=test.workspace_id,
                tag_ids=[uuid.UUID(tag) for tag in then[key]],
                resource_type=ResourceType.ACCOUNT,
                resource_ids=emails,
            )
    if then.get("webhook_url"):
        # Called by the engine once this is committed (`automation_webhooks`).
        record.webhook_url = then["webhook_url"]
        record.webhook_status = automation_webhooks.PENDING
        record.webhook_next_at = now
    await session.flush()
    log.info(
        "inbox placement test %s: automation %d fired (%s)", test.id, index, automation["when"]["condition"]
    )
    return True


async def run_automations(session: AsyncSession, run: PlacementRun, now: datetime) -> int:
    """Check and act on the test's automations for this run; how many fired."""
    test = await session.get(PlacementTest, run.test_id)
    if test is None or not test.automations:
        return 0
    fired = 0
    for index, automation, value in await _fired(session, run, test):
        fired += int(await _act(session, run, test, index, automation, value, now))
    return fired


async def resume_due(session: AsyncSession, now: datetime) -> int:
    """Campaigns an automation paused for N days, still paused when they are up, send again."""
    due = list(
        await session.scalars(
            select(PlacementAutomationRun).where(
                PlacementAutomationRun.resume_at <= now, PlacementAutomationRun.resumed_at.is_(None)
            )
        )
    )
    resumed = 0
    for record in due:
        for campaign_id in record.paused_campaigns or []:
            campaign = await session.get(Campaign, uuid.UUID(campaign_id))
            if campaign is None or campaign.status != CampaignStatus.PAUSED:
                continue
            try:
                resumed += int(await flows.activate(session, campaign))
            except BadRequest as error:
                log.warning("campaign %s not resumed after an automation's pause: %s", campaign.id, error)
        record.resumed_at = now
    await session.flush()
    return resumed
