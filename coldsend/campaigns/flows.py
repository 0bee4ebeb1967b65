"""What happens when a campaign changes status: checks before launch, launch and pause, and why it is
(not) sending."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.api.errors import BadRequest
from coldsend.campaigns import schedule
from coldsend.campaigns import service as campaign_service
from coldsend.campaigns.schemas import CampaignStatus, SendingState, SendingStatus, SendingSummary
from coldsend.clock import iso_z, utcnow
from coldsend.models import Campaign

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

HELD: dict[int, tuple[SendingState, str]] = {
    CampaignStatus.DRAFT: (SendingState.CAMPAIGN_DRAFT, "Campaign is a draft: activate it to start sending."),
    CampaignStatus.PAUSED: (
        SendingState.CAMPAIGN_PAUSED,
        "Campaign is paused: activate it to resume sending.",
    ),
    CampaignStatus.COMPLETED: (SendingState.CAMPAIGN_COMPLETED, "Campaign has completed."),
    CampaignStatus.BOUNCE_PROTECT: (
        SendingState.CAMPAIGN_BOUNCE_PROTECT,
        "Campaign is paused by bounce protection.",
    ),
    CampaignStatus.ACCOUNTS_UNHEALTHY: (
        SendingState.CAMPAIGN_ACCOUNTS_UNHEALTHY,
        "Campaign is paused because its sending accounts are unhealthy.",
    ),
    CampaignStatus.ACCOUNT_SUSPENDED: (
        SendingState.CAMPAIGN_ACCOUNT_SUSPENDED,
        "Campaign is paused because the account is suspended.",
    ),
}
MESSAGES = {
    SendingState.NO_ACCOUNTS_AVAILABLE: "Campaign has no sending accounts (email_list, email_tag_list).",
    SendingState.OUT_OF_SCHEDULE: "Campaign is currently not within its sending schedule.",
    SendingState.WAITING_FOR_LEADS: "Campaign is waiting for leads: it has no lead left to contact.",
    SendingState.HEALTHY: "Campaign is active, within its schedule, with accounts and leads to contact.",
    SendingState.CAMPAIGN_RUNNING_SUBSEQUENCES: "Campaign is running its subsequences.",
}


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


async def sending_status(session: AsyncSession, campaign: Campaign) -> SendingStatus:
    """Why the campaign is (not) sending, from what is known here: status, accounts, schedule, leads.

    A campaign that is not sending by status gets `diagnostics: null` and the reason in `summary`.
    """
    if campaign.status not in SENDING:
        state, message = HELD[campaign.status]
        return SendingStatus(diagnostics=None, summary=SendingSummary(status=state, status_message=message))
    in_schedule = schedule.in_schedule(campaign.campaign_schedule)
    leads = await campaign_service.sendable_leads(session, campaign)
    if not campaign.email_list and not campaign.email_tag_list:
        state = SendingState.NO_ACCOUNTS_AVAILABLE
    elif not in_schedule:
        state = SendingState.OUT_OF_SCHEDULE
    elif not leads:
        state = SendingState.WAITING_FOR_LEADS
    elif campaign.status == CampaignStatus.RUNNING_SUBSEQUENCES:
        state = SendingState.CAMPAIGN_RUNNING_SUBSEQUENCES
    else:
        state = SendingState.HEALTHY
    diagnostics: dict[str, Any] = {
        "campaign_id": str(campaign.id),
        "last_updated": iso_z(utcnow()),
        "status": state.value,
        "schedule_status": {"in_schedule": in_schedule},
        "leads_status": {"no_leads_ready": leads == 0},
        # Not in Instantly's diagnostics: what Coldsend counted (accounts are not health-checked yet).
        "sendable_leads": leads,
        "accounts_configured": len(campaign.email_list) + len(campaign.email_tag_list),
    }
    return SendingStatus(
        diagnostics=diagnostics, summary=SendingSummary(status=state, status_message=MESSAGES[state])
    )
