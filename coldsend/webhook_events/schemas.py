import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel

from coldsend.http.schemas import OrganizationId, ResponseModel, Timestamp


class WebhookEvent(ResponseModel):
    """The spec's WebhookEvent exactly (`additionalProperties: false`)."""

    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_created_date: dt.date
    organization_id: OrganizationId
    payload: dict[str, Any]
    success: bool
    retry_count: int
    will_retry: bool
    webhook_url: str
    status_code: int | None
    error_message: str | None
    timestamp_next_retry: Timestamp | None
    retry_group_id: uuid.UUID | None
    retry_successful: bool | None
    lead_email: str | None
    response_time_ms: int | None


class Summary(BaseModel):
    total_events: int
    successful_events: int
    failed_events: int
    success_rate: float
    failure_rate: float


class DaySummary(BaseModel):
    date: dt.date
    total_events: int
    successful_events: int
    failed_events: int
    success_rate: float
    failure_rate: float


class SummaryByDate(BaseModel):
    items: list[DaySummary]
