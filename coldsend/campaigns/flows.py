"""What happens when a campaign changes status: checks before launch, launch and pause."""

import logging
import uuid

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from coldsend.campaigns import schedule
from coldsend.campaigns import service as campaign_service
from coldsend.campaigns.diagnosis import OPEN, VERDICTS, Reason
from coldsend.campaigns.due import SUBSEQUENCE_SENDABLE, not_replied
from coldsend.campaigns.sequences import Sequence
from coldsend.clock import utcnow
from coldsend.errors import BadRequest
from coldsend.models import Campaign, CampaignStatus, Lead, LeadStatus, Send
from coldsend.webhooks import facts

# Statuses from which /pause stops sending; the negative ones are system holds.
PAUSABLE = frozenset(
    {
        CampaignStatus.ACTIVE,
        CampaignStatus.RUNNING_SUBSEQUENCES,
        CampaignStatus.ACCOUNTS_UNHEALTHY,
        CampaignStatus.BOUNCE_PROTECT,
        CampaignStatus.ACCOUNT_SUSPENDED,
    }
)
SENDING = (CampaignStatus.ACTIVE, CampaignStatus.RUNNING_SUBSEQUENCES)
WAITING = (LeadStatus.ACTIVE, LeadStatus.PAUSED)

log = logging.getLogger(__name__)


def launch_problems(campaign: Campaign) -> list[str]:
    """Why the campaign cannot be launched as it is (empty when it can)."""
    problems = []
    steps = (campaign.sequences[0].get("steps") or []) if campaign.sequences else []
    if not steps:
        problems.append("it has no sequence steps (sequences[0].steps is empty)")
    for index, step in enumerate(steps):
        if all(variant.get("v_disabled") for variant in step.get("variants") or []):
            problems.append(f"step {index + 1} has no enabled variant")
    if not campaign.email_list and not campaign.email_tag_list:
        problems.append("it has no sending accounts (email_list and email_tag_list are empty)")
    if not schedule.can_ever_send(campaign.campaign_schedule):
        problems.append("its schedule has no sending window (no day enabled, or timing from equals to)")
    elif schedule.ended(campaign.campaign_schedule):
        problems.append("its schedule's end_date has passed")
    return problems


async def activate(session: AsyncSession, campaign: Campaign) -> bool:
    """Start or resume sending; whether the status changed. A 400 names every missing piece."""
    if campaign.status in SENDING:
        return False
    problems = launch_problems(campaign)
    if (campaign.email_list or campaign.email_tag_list) and not await campaign_service.sending_accounts(
        session, campaign
    ):
        problems.append("none of its email_list or email_tag_list accounts exists in this workspace")
    if problems:
        raise BadRequest("Campaign cannot be activated: " + "; ".join(problems))
    now = utcnow()
    campaign.status = CampaignStatus.ACTIVE
    campaign.not_sending_status = None
    campaign.timestamp_launched = campaign.timestamp_launched or now
    campaign.timestamp_updated = now
    await session.flush()
    return True


async def pause(session: AsyncSession, campaign: Campaign) -> bool:
    """Stop sending; whether the status changed. Pausing a paused campaign changes nothing."""
    if campaign.status == CampaignStatus.PAUSED:
        return False
    if campaign.status not in PAUSABLE:
        state = CampaignStatus(campaign.status).name.lower()
        raise BadRequest(f"Campaign cannot be paused: it is {state}, not sending")
    campaign.status = CampaignStatus.PAUSED
    campaign.not_sending_status = None  # the status says why now; the scheduler notes it while sending
    campaign.timestamp_updated = utcnow()
    await session.flush()
    return True


async def complete(session: AsyncSession, campaign: Campaign) -> None:
    """Every lead is done (for the engine): the campaign is Completed."""
    campaign.status = CampaignStatus.COMPLETED
    campaign.timestamp_updated = utcnow()
    await session.flush()


async def reopen(session: AsyncSession, campaign_id: uuid.UUID) -> None:
    """A main step is owed again after the campaign finished its leads (a soft bounce came back after
    the last send): a completed or subsequence-running campaign is active again, so it goes."""
    await session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status.in_((CampaignStatus.COMPLETED, CampaignStatus.RUNNING_SUBSEQUENCES)),
        )
        .values(status=CampaignStatus.ACTIVE, timestamp_updated=utcnow())
        .execution_options(synchronize_session=False)
    )


async def note_not_sending(session: AsyncSession, campaign: Campaign, reason: Reason | None) -> None:
    """The campaign's `not_sending_status`: why this tick planned nothing, or nothing when it is sending."""
    status = None if reason is None else VERDICTS[reason][0]
    value = None if status is None else int(status)
    if campaign.not_sending_status != value:
        await _set_not_sending(session, campaign, value)


async def _set_not_sending(session: AsyncSession, campaign: Campaign, value: int | None) -> None:
    """Written at once, and only while the campaign sends (a pause meanwhile wins); the loaded row
    is told, not marked changed, so the end of the tick does not write it again."""
    await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_(SENDING))
        .values(not_sending_status=value)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(campaign, "not_sending_status", value)


async def complete_if_done(session: AsyncSession, campaign: Campaign, sequences: list[Sequence]) -> None:
    """Once no lead can still receive a main step and nothing is in flight, the campaign is running
    subsequences (4) while a lead is still due a subsequence step, and completed (3) after that."""
    if not await session.scalar(select(exists().where(Lead.campaign_id == campaign.id))):
        return
    main_live = exists().where(
        Lead.campaign_id == campaign.id,
        Lead.subsequence_id.is_(None),
        Lead.status.in_(WAITING),
        *not_replied(campaign, in_subsequence=False),
    )
    open_sends = exists().where(Send.campaign_id == campaign.id, Send.state.in_(OPEN))
    if await session.scalar(select(main_live | open_sends)):
        return
    status = CampaignStatus.COMPLETED
    for sequence in sequences:
        if sequence.campaign.id != campaign.id or sequence.subsequence is None or not sequence.steps:
            continue
        last = aliased(Send)
        finished = exists().where(
            last.sequence_id == sequence.id, last.lead_id == Lead.id, last.step == len(sequence.steps) - 1
        )
        sub_live = exists().where(
            Lead.subsequence_id == sequence.id,
            Lead.status.in_((*SUBSEQUENCE_SENDABLE, LeadStatus.PAUSED)),
            ~finished,
            *not_replied(campaign, in_subsequence=True),
        )
        if await session.scalar(select(sub_live)):
            status = CampaignStatus.RUNNING_SUBSEQUENCES
            break
    if status == campaign.status:
        return
    if status == CampaignStatus.COMPLETED and campaign.not_sending_status is not None:
        await _set_not_sending(session, campaign, None)  # done: nothing to explain
    await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_(SENDING))
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    campaign.status = status
    if status == CampaignStatus.COMPLETED:
        await facts.record_fact(
            session, campaign.workspace_id, "campaign_completed", timestamp=utcnow(), campaign_id=campaign.id
        )
    log.info("campaign %s: status %d", campaign.id, status)
