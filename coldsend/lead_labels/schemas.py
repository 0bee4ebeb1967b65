import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from coldsend.http.schemas import (
    OrganizationId,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
    refuse_null,
)
from coldsend.models import InterestStatusLabel

INTEREST_STATUS_MIN = -30_000
INTEREST_STATUS_MAX = 30_000


LabelText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]


class LeadLabel(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    created_by: uuid.UUID
    organization_id: OrganizationId
    label: str
    interest_status_label: InterestStatusLabel
    interest_status: int
    description: str | None
    use_with_ai: bool | None


class LeadLabelCreate(RequestModel):
    label: LabelText
    interest_status_label: InterestStatusLabel
    description: Description | None = None
    use_with_ai: StrictBool | None = None


class LeadLabelUpdate(PatchModel):
    label: LabelText | None = None
    interest_status_label: InterestStatusLabel | None = None
    description: Description | None = None
    use_with_ai: StrictBool | None = None

    _not_null = refuse_null("label", "interest_status_label")


class LeadLabelDelete(RequestModel):
    reassigned_status: int | None = Field(default=None, ge=INTEREST_STATUS_MIN, le=INTEREST_STATUS_MAX)


class ReplyLabelRequest(BaseModel):
    """Not `additionalProperties: false` in the spec: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    reply_text: str = Field(max_length=50_000)


class ReplyLabelResult(BaseModel):
    result: str
    custom_labels_considered: list[str]
