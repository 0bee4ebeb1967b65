import uuid
from typing import Annotated, Any, Literal

from pydantic import Field

from coldsend.campaigns.schemas import NAME_MAX_LENGTH, AutoVariantSelect, CampaignSchedule, Count, Text
from coldsend.campaigns.schemas import Sequence as CampaignSequence
from coldsend.http.schemas import PatchModel, RequestModel, ResponseModel, Timestamp, column, refuse_null
from coldsend.models import CampaignStatus

INTEREST_MIN = -30000
INTEREST_MAX = 30000
REPLY_CONTAINS_MAX_LENGTH = 1000

# Subsequences share the campaigns' status values (0 draft, 1 active, 2 paused, ...).
SubsequenceStatus = CampaignStatus


InterestStatus = Annotated[int, Field(ge=INTEREST_MIN, le=INTEREST_MAX)]


class Conditions(RequestModel):
    """What moves a lead of the parent campaign into the subsequence (any one condition)."""

    crm_status: list[InterestStatus] | None = Field(default=None, max_length=1000)
    lead_activity: list[Literal[2, 4, 91]] | None = Field(default=None, max_length=3)
    reply_contains: Text | None = Field(default=None, max_length=REPLY_CONTAINS_MAX_LENGTH)

    _not_null = refuse_null("crm_status", "lead_activity", "reply_contains")


class SubsequenceFields(RequestModel):
    """The writable fields create and PATCH share; not-nullable ones refuse an explicit null."""

    subsequence_schedule: CampaignSchedule | None = None
    sequences: list[CampaignSequence] | None = Field(default=None, max_length=10)
    auto_variant_select: AutoVariantSelect | None = None
    daily_limit_mode: Literal["inherit", "custom", "unlimited"] | None = None
    daily_limit: Count | None = None
    ignore_account_daily_limit: bool | None = None

    _not_null = refuse_null(
        "subsequence_schedule", "sequences", "daily_limit_mode", "ignore_account_daily_limit"
    )


class SubsequenceCreate(SubsequenceFields):
    parent_campaign: uuid.UUID
    name: Text = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    conditions: Conditions


class SubsequenceUpdate(SubsequenceFields, PatchModel):
    name: Text | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)
    conditions: Conditions | None = None

    _required_not_null = refuse_null("name", "conditions")


class SubsequenceDuplicate(RequestModel):
    parent_campaign: uuid.UUID
    name: Text | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)

    _not_null = refuse_null("name")


class CampaignSubsequence(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    parent_campaign: uuid.UUID = column("parent_campaign_id", shown_as="parent_campaign")
    workspace: uuid.UUID = column("workspace_id", shown_as="workspace")
    status: SubsequenceStatus
    timestamp_leads_updated: Timestamp
    name: str
    conditions: dict[str, Any]
    subsequence_schedule: dict[str, Any] | None
    sequences: list[Any]
    auto_variant_select: dict[str, Any] | None
    daily_limit_mode: str
    daily_limit: int | None
    ignore_account_daily_limit: bool


def stored(value: Any) -> Any:
    """A validated request part as JSON to store (and show): aliases (`from`) applied."""
    if isinstance(value, list):
        return [stored(item) for item in value]
    if isinstance(value, RequestModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value
