"""`GET /campaigns/{id}/sending-status`: the scheduler's own verdict (campaigns/diagnosis.py) on why the
campaign is or is not sending, with the counts behind it in the spec's diagnostics shape."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.campaigns import diagnosis, flows
from coldsend.campaigns.diagnosis import Diagnosis, Reason
from coldsend.campaigns.rotation import AccountSlot, campaign_accounts
from coldsend.campaigns.schemas import SendingState, SendingStatus, SendingSummary
from coldsend.campaigns.sequences import Sequence
from coldsend.clock import iso_z, utcnow
from coldsend.config import Settings
from coldsend.models import Campaign, CampaignStatus

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
    Reason.SENDING: "Campaign is sending: emails are planned or going out.",
    Reason.OUT_OF_SCHEDULE: "Campaign is currently not within its sending schedule.",
    Reason.NO_ACCOUNTS: "Campaign has no sending accounts: none of its email_list or email_tag_list accounts "
    "exists in this workspace.",
    Reason.ACCOUNTS_UNAVAILABLE: "None of the campaign's sending accounts can send: each is paused or in "
    "error (see its status in GET /accounts); resume or fix one to send again.",
    Reason.ACCOUNTS_DAILY_LIMIT: "Every sending account of the campaign has reached its daily limit "
    "(slow ramp included, counted over all its campaigns); sending resumes on the next UTC day.",
    Reason.CAMPAIGN_DAILY_LIMIT: "Campaign has reached its daily limit; sending resumes on the next day "
    "in the schedule's timezone.",
    Reason.FOLLOW_UP_DELAY: "Campaign is waiting for follow-up delays: no new lead is left and every "
    "contacted lead waits for its next step's delay.",
    Reason.NO_LEADS: "Campaign is waiting for leads: it has no lead left to contact.",
}
RUNNING_SUBSEQUENCES = "Campaign is running its subsequences."


async def sending_status(
    session: AsyncSession, campaign: Campaign, settings: Settings, now: datetime | None = None
) -> SendingStatus:
    """Why the campaign is (not) sending. A campaign that is not sending by its status gets
    `diagnostics: null` and the reason in `summary`."""
    last_sent = await diagnosis.last_sent_at(session, campaign.id)
    last_healthy = iso_z(last_sent) if last_sent is not None else None
    if campaign.status not in flows.SENDING:
        state, message = HELD[campaign.status]
        summary = SendingSummary(status=state, status_message=message, last_healthy_send_at=last_healthy)
        return SendingStatus(diagnostics=None, summary=summary)
    now = now or utcnow()
    verdict = await diagnosis.diagnose(session, campaign, settings, now)
    state, message = verdict.state, _message(verdict)
    if campaign.status == CampaignStatus.RUNNING_SUBSEQUENCES:
        state, message = SendingState.CAMPAIGN_RUNNING_SUBSEQUENCES, RUNNING_SUBSEQUENCES
    diagnostics: dict[str, Any] = {
        "campaign_id": str(campaign.id),
        "last_updated": iso_z(now),
        "status": state.value,
        "issue_tracking": {
            "current_status_code": state.value,
            "issue_first_seen_at": None,
            "consecutive_loops_with_issue": 0,
            "last_healthy_send_at": last_healthy,
        },
        "schedule_status": {"in_schedule": verdict.gate.in_schedule},
        # Not in Instantly's diagnostics: the reason as the scheduler notes it in not_sending_status.
        "not_sending_status": verdict.not_sending_status,
    }
    if verdict.gate.in_schedule:
        diagnostics |= await _counts(session, campaign, settings, verdict, now)
    summary = SendingSummary(status=state, status_message=message, last_healthy_send_at=last_healthy)
    return SendingStatus(diagnostics=diagnostics, summary=summary)


def _message(verdict: Diagnosis) -> str:
    if verdict.reason != Reason.SENDING_GAP:
        return MESSAGES[verdict.reason]
    waiting = [slot for slot in verdict.gate.slots if slot.remaining > 0]
    gaps = ", ".join(f"{slot.account.email} {slot.gap.total_seconds() / 60:g} min" for slot in waiting)
    next_free = min(slot.next_free for slot in waiting)
    return (
        f"Campaign is sending, paced by the sending gap of its accounts ({gaps}; the account's "
        f"sending_gap or the campaign's email_gap, whichever is longer): leads are waiting, the next "
        f"email can go at {iso_z(next_free)}."
    )


async def _counts(
    session: AsyncSession, campaign: Campaign, settings: Settings, verdict: Diagnosis, now: datetime
) -> dict[str, Any]:
    """accounts_summary, campaign_daily_limit and leads_status, as far as the checks got."""
    slots = verdict.gate.slots
    configured = len(await campaign_accounts(session, campaign, any_status=True))
    full = [slot for slot in slots if slot.remaining <= 0]
    ramped = sum(1 for slot in full if _ramped(slot, settings))
    counts: dict[str, Any] = {
        "accounts_summary": {
            "total_connected": len(slots),
            "available": sum(1 for slot in slots if _free(slot, verdict)),
            "unavailable": {
                "daily_limit_hit": len(full) - ramped,
                "slow_ramp_limit_hit": ramped,
                "disconnected": configured - len(slots),
                "global_gap_not_met": sum(
                    1 for slot in slots if slot.remaining > 0 and slot.next_free > verdict.horizon
                ),
            },
        },
        "leads_status": {"no_leads_ready": verdict.reason in (Reason.NO_LEADS, Reason.FOLLOW_UP_DELAY)},
        "accounts_configured": configured,  # not in Instantly's diagnostics: accounts named, any status
    }
    if campaign.daily_limit:
        left = await diagnosis.campaign_budget(session, Sequence(campaign, None), settings, now)
        sent = campaign.daily_limit - left
        counts["campaign_daily_limit"] = {
            "limit": campaign.daily_limit,
            "sent": sent,
            "limit_hit": left <= 0,
        }
    return counts


def _free(slot: AccountSlot, verdict: Diagnosis) -> bool:
    return slot.remaining > 0 and slot.next_free <= verdict.horizon


def _ramped(slot: AccountSlot, settings: Settings) -> bool:
    """Held by the slow ramp: its limit today is below the one it has set."""
    return slot.limit < (slot.account.daily_limit or settings.account_default_daily_limit)
