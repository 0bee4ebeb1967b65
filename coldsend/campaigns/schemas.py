import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from coldsend.addresses import normalize_email
from coldsend.campaigns.timezones import Timezone
from coldsend.http.schemas import Organization, PatchModel, RequestModel, ResponseModel, Timestamp
from coldsend.http.validation import NoNul
from coldsend.models import CampaignStatus, NotSendingStatus

NAME_MAX_LENGTH = 500
MAX_INT = 2**31 - 1
MAX_LIST = 1000
DAY_KEYS = frozenset(str(day) for day in range(7))
HH_MM = r"^([01][0-9]|2[0-3]):([0-5][0-9])$"


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message, {"ajv": message})


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except ValueError:
        raise _refuse("format", 'must match format "email"') from None


def _days(value: dict[str, bool]) -> dict[str, bool]:
    if not value:
        raise _refuse("min_properties", "must NOT have fewer than 1 properties")
    if set(value) - DAY_KEYS:
        raise _refuse("days", 'must NOT have additional properties (days are "0" Sunday to "6" Saturday)')
    return {key: value[key] for key in sorted(value)}


Text = Annotated[str, NoNul]
Email = Annotated[str, AfterValidator(_email)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
Delay = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
Days = Annotated[dict[str, bool], AfterValidator(_days)]
DelayUnit = Literal["minutes", "hours", "days"]
Esp = Literal["all", "google", "outlook", "other"]


class Timing(RequestModel):
    from_: str = Field(alias="from", pattern=HH_MM)
    to: str = Field(pattern=HH_MM)


class Schedule(RequestModel):
    name: Text = Field(max_length=NAME_MAX_LENGTH)
    timing: Timing
    days: Days
    timezone: Timezone


class CampaignSchedule(RequestModel):
    """`start_date`/`end_date` are days in the schedule's timezone; `days` keys "0" (Sunday) to "6"."""

    schedules: list[Schedule] = Field(min_length=1, max_length=100)
    start_date: date | None = None
    end_date: date | None = None


class Variant(RequestModel):
    subject: Text
    body: Text
    v_disabled: bool = False


class Step(RequestModel):
    """A step sends one of its enabled variants; `delay` is the wait before the NEXT step."""

    type: Literal["email"]
    delay: Delay = Field(description="Wait after this step before the next one, in delay_unit")
    delay_unit: DelayUnit = Field(default="days", description="Unit of delay")
    pre_delay: Delay | None = None
    pre_delay_unit: DelayUnit | None = None
    variants: list[Variant] = Field(min_length=1, max_length=100)


class Sequence(RequestModel):
    steps: list[Step] = Field(max_length=100)


class AutoVariantSelect(RequestModel):
    trigger: Literal["reply_rate", "click_rate", "open_rate"]


class LimitEmailsPerCompanyOverride(RequestModel):
    mode: Literal["custom", "disabled"]
    daily_limit: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None
    scope: Literal["per_campaign", "across_workspace"] | None = None


class ProviderRoutingRule(RequestModel):
    action: Literal["send", "do_not_send"]
    recipient_esp: list[Esp] = Field(max_length=4)
    sender_esp: list[Esp] = Field(max_length=4)


class CampaignFields(RequestModel):
    """Every writable field but `name` and `campaign_schedule`, as create and PATCH share them.

    `email_list` holds sending-account addresses; the service checks that they are accounts of the
    workspace.
    Fields that are not nullable in the spec have a non-null type, so an explicit null is a 400.
    """

    pl_value: Amount | None = None
    is_evergreen: bool | None = None
    sequences: list[Sequence] = Field(default_factory=list, max_length=10)
    email_gap: Count | None = Field(
        default=None,
        description="Minutes between this campaign's emails from one account; the account's own sending_gap "
        "(default 10) applies too and the longer wins. Default (unset): 0, only the accounts' gaps.",
    )
    random_wait_max: Count | None = Field(
        default=None,
        description="Up to this many minutes of random wait added to each email's slot. Default (unset): 0.",
    )
    text_only: bool | None = Field(
        default=None,
        description="Send text/plain only: no HTML part, so no open pixel or tracked links. Default: false.",
    )
    first_email_text_only: bool | None = Field(
        default=None, description="Send the first step text-only (see text_only). Default: false."
    )
    email_list: list[Email] = Field(default_factory=list, max_length=MAX_LIST)
    daily_limit: Count | None = Field(
        default=None,
        description="Emails the campaign sends per day (sent or planned, counted over the day in the "
        "schedule's timezone). Default (unset or 0): no campaign limit; each account's daily_limit "
        "(default 50) still holds.",
    )
    stop_on_reply: bool | None = Field(
        default=None,
        description="Stop a lead's sequence when it replies. Default (unset): true; only false keeps sending "
        "to leads that replied.",
    )
    email_tag_list: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_LIST)
    link_tracking: bool | None = Field(
        default=None, description="Rewrite links in HTML emails to signed click-tracking links. Default: off."
    )
    open_tracking: bool = Field(default=False, description="Add an open-tracking pixel to HTML emails.")
    stop_on_auto_reply: bool | None = Field(
        default=None, description="Stop a lead's sequence on an auto-reply (out of office). Default: false."
    )
    daily_max_leads: Count | None = Field(
        default=None,
        description="New leads (first steps) started per day, in the schedule's timezone. Default (unset or "
        "0): no limit.",
    )
    prioritize_new_leads: bool | None = Field(
        default=None,
        description="Plan first steps to new leads before due follow-ups. Default: false (follow-ups first).",
    )
    auto_variant_select: AutoVariantSelect | None = None
    match_lead_esp: bool | None = None
    stop_for_company: bool | None = Field(
        default=None,
        description="When a lead replies, stop the campaign's other leads at its company domain. "
        "Default: false.",
    )
    insert_unsubscribe_header: bool | None = Field(
        default=None,
        description="Add List-Unsubscribe and one-click List-Unsubscribe-Post (RFC 8058) headers. "
        "Default: false.",
    )
    allow_risky_contacts: bool | None = None
    disable_bounce_protect: bool | None = None
    limit_emails_per_company_override: LimitEmailsPerCompanyOverride | None = None
    cc_list: list[Email] = Field(default_factory=list, max_length=MAX_LIST)
    bcc_list: list[Email] = Field(default_factory=list, max_length=MAX_LIST)
    owned_by: uuid.UUID | None = None
    provider_routing_rules: list[ProviderRoutingRule] = Field(default_factory=list, max_length=100)


SCHEDULE = (
    "When emails may go out: each schedule's timing from-to (to exclusive) on its enabled days, in its "
    "timezone; from start_date to end_date when set. Required on create: there is no default window."
)


class CampaignCreate(CampaignFields):
    name: Text = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    campaign_schedule: CampaignSchedule = Field(description=SCHEDULE)
    ai_sdr_id: uuid.UUID | None = None


class CampaignUpdate(CampaignFields, PatchModel):
    """Only the fields sent change; arrays (email_list, sequences...) are replaced, not merged."""

    name: Text = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)  # type: ignore[assignment]
    campaign_schedule: CampaignSchedule = None  # type: ignore[assignment]


class CampaignDuplicate(RequestModel):
    name: Text | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)


class CampaignVariables(RequestModel):
    variables: list[Annotated[Text, Field(min_length=1, max_length=100, pattern=r"^[^{}|]+$")]] = Field(
        max_length=MAX_LIST
    )


class Campaign(ResponseModel):
    id: uuid.UUID
    name: str
    status: CampaignStatus
    pl_value: float | None
    is_evergreen: bool | None
    campaign_schedule: dict[str, Any]
    sequences: list[Any]
    timestamp_created: Timestamp
    timestamp_updated: Timestamp
    email_gap: int | None
    random_wait_max: int | None
    text_only: bool | None
    first_email_text_only: bool | None
    email_list: list[str]
    daily_limit: int | None
    stop_on_reply: bool | None
    email_tag_list: list[str]
    link_tracking: bool | None
    open_tracking: bool
    stop_on_auto_reply: bool | None
    daily_max_leads: int | None
    prioritize_new_leads: bool | None
    auto_variant_select: dict[str, Any] | None
    match_lead_esp: bool | None
    not_sending_status: NotSendingStatus | None = Field(
        description="Why an active campaign planned nothing on the scheduler's last tick (null while it "
        "sends): 1 outside its schedule; 2 waiting for a lead to process: no lead left, a follow-up's delay, "
        "or every account waiting its sending gap (GET /campaigns/{id}/sending-status says which); 3 the "
        "campaign's daily limit; 4 every account at its daily limit; 99 no account can send (none, or all "
        "paused or in error)."
    )
    stop_for_company: bool | None
    core_variables: dict[str, Any] | None
    custom_variables: dict[str, Any] | None
    insert_unsubscribe_header: bool | None
    allow_risky_contacts: bool | None
    disable_bounce_protect: bool | None
    limit_emails_per_company_override: dict[str, Any] | None
    cc_list: list[str]
    bcc_list: list[str]
    organization: Organization
    owned_by: uuid.UUID | None
    ai_sdr_id: uuid.UUID | None
    provider_routing_rules: list[Any]


class CampaignItems(BaseModel):
    items: list[Campaign]


class LaunchedCount(BaseModel):
    count: int


class SendingState(StrEnum):
    CAMPAIGN_PAUSED = "campaign_paused"
    CAMPAIGN_DRAFT = "campaign_draft"
    CAMPAIGN_COMPLETED = "campaign_completed"
    CAMPAIGN_RUNNING_SUBSEQUENCES = "campaign_running_subsequences"
    CAMPAIGN_BOUNCE_PROTECT = "campaign_bounce_protect"
    CAMPAIGN_ACCOUNTS_UNHEALTHY = "campaign_accounts_unhealthy"
    CAMPAIGN_ACCOUNT_SUSPENDED = "campaign_account_suspended"
    OUT_OF_SCHEDULE = "out_of_schedule"
    WAITING_FOR_LEADS = "waiting_for_leads"
    DAILY_LIMIT_MET = "daily_limit_met"
    ACCOUNT_DAILY_LIMIT_MET = "account_daily_limit_met"
    ALL_ACCOUNTS_UNHEALTHY = "all_accounts_unhealthy"
    FOLLOW_UP_DELAY_NOT_MET = "follow_up_delay_not_met"
    NO_ACCOUNTS_AVAILABLE = "no_accounts_available"
    HEALTHY = "healthy"


class SendingSummary(BaseModel):
    status: SendingState | None
    status_message: str | None
    issue_started_at: str | None = None
    last_healthy_send_at: str | None = None
    ai_summary: str | None = None


class SendingStatus(BaseModel):
    diagnostics: dict[str, Any] | None
    summary: SendingSummary | None
