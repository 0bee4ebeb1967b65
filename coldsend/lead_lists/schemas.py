import uuid

from pydantic import BaseModel, Field

from coldsend.campaigns.schemas import Text
from coldsend.http.schemas import (
    OrganizationId,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
    refuse_null,
)

NAME_MAX_LENGTH = 500


class LeadList(ResponseModel):
    id: uuid.UUID
    organization_id: OrganizationId
    has_enrichment_task: bool | None
    owned_by: uuid.UUID | None
    name: str
    timestamp_created: Timestamp


class LeadListCreate(RequestModel):
    name: Text = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    has_enrichment_task: bool | None = None
    owned_by: uuid.UUID | None = None


class LeadListUpdate(PatchModel):
    name: Text | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)
    has_enrichment_task: bool | None = None
    owned_by: uuid.UUID | None = None

    _name_not_null = refuse_null("name")


class VerificationCounts(BaseModel):
    verified: int = 0
    invalid: int = 0
    risky: int = 0
    catch_all: int = 0
    job_change: int = 0
    verification_job_pending_leadfinder: int = 0
    verification_job_pending_user: int = 0


class VerificationStats(BaseModel):
    stats: VerificationCounts
    total_leads: int
