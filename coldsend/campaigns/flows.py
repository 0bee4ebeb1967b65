"""What happens when a campaign changes status: checks before launch, launch and pause."""

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import schedule
from coldsend.campaigns import service as campaign_service
from coldsend.clock import utcnow
from coldsend.errors import BadRequest
from coldsend.models import Campaign, CampaignStatus

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
SENDING = frozenset({CampaignStatus.ACTIVE, CampaignStatus.RUNNING_SUBSEQUENCES})


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
