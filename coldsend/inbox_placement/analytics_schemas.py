"""Inbox placement analytics and reports: the request and response shapes."""

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from coldsend.http.schemas import OrganizationId, RequestModel, ResponseModel, Timestamp

Geo = Literal[1, 2, 3, 4]
RecipientType = Literal[1, 2]
Esp = Literal[1, 2, 8, 12, 13, 101, 102, 199]


class AnalyticsFilters(RequestModel):
    date_from: str | None = None
    date_to: str | None = None
    recipient_geo: list[Geo] | None = None
    recipient_type: list[RecipientType] | None = None
    recipient_esp: list[Esp] | None = None
    sender_email: str | None = None


class StatsByTestRequest(AnalyticsFilters):
    test_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class StatsByDateRequest(AnalyticsFilters):
    test_id: uuid.UUID


class InsightsRequest(RequestModel):
    test_id: uuid.UUID
    date_from: str | None = None
    date_to: str | None = None
    previous_date_from: str | None = None
    previous_date_to: str | None = None
    show_previous: bool = False
    recipient_geo: list[Geo] | None = None
    recipient_type: list[RecipientType] | None = None
    recipient_esp: list[Esp] | None = None


class TestStats(BaseModel):
    test_id: uuid.UUID
    count: int
    spam_count: int
    spam_percent: float
    inbox_count: int
    inbox_percent: float
    category_count: int
    category_percent: float
    missing_count: int  # Coldsend: copies not found within the missing time
    missing_percent: float


class DateStats(BaseModel):
    timestamp_created_date: str
    sent_count: int
    received_count: int
    spam_count: int
    inbox_count: int
    category_count: int
    missing_count: int


class Insight(BaseModel):
    test_id: uuid.UUID
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str | None
    previous_from: str | None
    previous_to: str | None
    sender_esp: int | None
    recipient_esp: int | None
    spam_percentage: float | None
    inbox_percentage: float | None
    category_percentage: float | None
    prev_spam_percentage: float | None
    prev_inbox_percentage: float | None
    prev_category_percentage: float | None


class PlacementAnalytics(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_created_date: str
    organization_id: OrganizationId
    test_id: uuid.UUID
    is_spam: bool | None
    has_category: bool | None
    sender_email: str | None
    sender_esp: int | None
    recipient_email: str | None
    recipient_esp: int | None
    recipient_geo: int | None
    recipient_type: int | None
    spf_pass: bool | None
    dkim_pass: bool | None
    dmarc_pass: bool | None
    smtp_ip_blacklist_report: dict[str, Any] | None
    authentication_failure_results: dict[str, Any] | None
    record_type: int | None


class PlacementReport(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_created_date: str
    organization_id: OrganizationId
    test_id: uuid.UUID
    domain_blacklist_count: int | None
    domain: str
    domain_ip: str
    domain_ip_blacklist_count: int | None
    spam_assassin_score: float | None
    spam_assassin_report: dict[str, Any] | None = Field(default=None, exclude_if=lambda value: value is None)
    blacklist_report: dict[str, Any] | None = Field(default=None, exclude_if=lambda value: value is None)
