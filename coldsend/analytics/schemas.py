import uuid
from typing import Annotated

from pydantic import BaseModel, Field

Email = Annotated[str, Field(min_length=1, max_length=320, pattern=r"^[^\x00]*$")]


def _absent(value: object) -> bool:
    return value is None


class CampaignAnalytics(BaseModel):
    campaign_name: str
    campaign_id: uuid.UUID
    campaign_status: int
    campaign_is_evergreen: bool
    leads_count: int | None = Field(default=None, exclude_if=_absent)
    contacted_count: int
    emails_sent_count: int
    new_leads_contacted_count: int
    open_count: int
    open_count_unique: int
    open_count_unique_by_step: int
    reply_count: int
    reply_count_unique: int
    reply_count_unique_by_step: int
    reply_count_automatic: int
    reply_count_automatic_unique: int
    reply_count_automatic_unique_by_step: int
    link_click_count: int
    link_click_count_unique: int
    link_click_count_unique_by_step: int
    bounced_count: int
    # Extensions: the bounced leads by kind, and spam complaints (see docs/bounces.md).
    hard_bounced_count: int
    soft_bounced_count: int
    complaint_count: int
    unsubscribed_count: int
    completed_count: int
    total_opportunities: int
    total_opportunity_value: float


class CampaignAnalyticsOverview(BaseModel):
    open_count: int
    open_count_unique: int
    open_count_unique_by_step: int
    link_click_count: int
    link_click_count_unique: int
    link_click_count_unique_by_step: int
    reply_count: int
    reply_count_unique: int
    reply_count_unique_by_step: int
    reply_count_automatic: int
    reply_count_automatic_unique: int
    reply_count_automatic_unique_by_step: int
    bounced_count: int
    # Extensions: the bounced leads by kind, and spam complaints (see docs/bounces.md).
    hard_bounced_count: int
    soft_bounced_count: int
    complaint_count: int
    unsubscribed_count: int
    completed_count: int
    emails_sent_count: int
    contacted_count: int
    new_leads_contacted_count: int
    total_opportunities: int
    total_opportunity_value: float
    total_interested: int
    total_meeting_booked: int
    total_meeting_completed: int
    total_closed: int


class DailyCampaignAnalytics(BaseModel):
    date: str
    sent: int
    contacted: int
    new_leads_contacted: int
    opened: int
    unique_opened: int
    replies: int
    unique_replies: int
    replies_automatic: int
    unique_replies_automatic: int
    clicks: int
    unique_clicks: int
    opportunities: int
    unique_opportunities: int


class StepAnalytics(BaseModel):
    step: str | None
    variant: str | None
    sent: int
    opened: int
    unique_opened: int
    replies: int
    unique_replies: int
    replies_automatic: int
    unique_replies_automatic: int
    clicks: int
    unique_clicks: int


class CampaignStepAnalytics(StepAnalytics):
    opportunities: int | None = Field(default=None, exclude_if=_absent)
    unique_opportunities: int | None = Field(default=None, exclude_if=_absent)
    meetings_booked: int | None = Field(default=None, exclude_if=_absent)
    won: int | None = Field(default=None, exclude_if=_absent)


class SubsequenceAnalytics(BaseModel):
    subsequence_id: uuid.UUID
    emails_sent: int
    unique_opens: int
    unique_replies: int


class DailyAccountAnalytics(BaseModel):
    date: str
    email_account: str
    sent: int
    bounced: int
    contacted: int
    new_leads_contacted: int
    opened: int
    unique_opened: int
    replies: int
    unique_replies: int
    replies_automatic: int
    unique_replies_automatic: int
    clicks: int
    unique_clicks: int


class WarmupAnalyticsRequest(BaseModel):
    emails: Annotated[list[Email], Field(min_length=1, max_length=100)]


class WarmupDay(BaseModel):
    sent: int
    landed_inbox: int
    landed_spam: int
    received: int


class WarmupAggregate(BaseModel):
    sent: int
    received: int
    landed_inbox: int
    landed_spam: int
    health_score_label: str | None = Field(default=None, exclude_if=_absent)
    health_score: float | None = Field(default=None, exclude_if=_absent)


class WarmupAnalytics(BaseModel):
    email_date_data: dict[str, dict[str, WarmupDay]]
    aggregate_data: dict[str, WarmupAggregate]
