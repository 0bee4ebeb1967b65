"""Request and response bodies of the lead operations that run as background jobs or move leads."""

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from coldsend.http.schemas import RequestModel
from coldsend.http.validation import NoNul
from coldsend.leads.schemas import MAX_BULK_DELETE, EmailText, InterestValue, LeadFilter, SmartQuery

Search = Annotated[str, Field(max_length=500), NoNul]
EspCode = Literal[0, 1, 2, 3, 8, 9, 10, 12, 13, 999, 1000]
EsgCode = Literal["0", "1", "2", "3", "4", "all", "none"]
IdList = Annotated[list[uuid.UUID], Field(max_length=MAX_BULK_DELETE)]


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("rule", message, {"ajv": message})


class LeadSelection(RequestModel):
    """The filters moveLeads and bulkAssignLeads share; every one given narrows the selection."""

    search: Search | None = None
    filter: LeadFilter | None = None
    campaign: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    in_campaign: StrictBool | None = None
    in_list: StrictBool | None = None
    ids: IdList | None = None
    queries: Annotated[list[SmartQuery], Field(max_length=100)] | None = None
    limit: Annotated[StrictInt | StrictFloat, Field(ge=0)] | None = None


class LeadsMove(LeadSelection):
    excluded_ids: IdList | None = None
    contacts: Annotated[list[EmailText], Field(max_length=MAX_BULK_DELETE)] | None = None
    to_campaign_id: uuid.UUID | None = None
    to_list_id: uuid.UUID | None = None
    ignore_resource_filter_clauses: StrictBool | None = None
    check_duplicates_in_campaigns: StrictBool | None = None
    skip_leads_in_verification: StrictBool | None = None
    assigned_to: uuid.UUID | None = None
    esp_code: EspCode | None = None
    esg_code: EsgCode | None = None
    copy_leads: StrictBool | None = None
    check_duplicates: StrictBool | None = None
    reset_interest_status: StrictBool | None = None

    @model_validator(mode="after")
    def _destination_and_source(self) -> "LeadsMove":
        if (self.to_campaign_id is None) == (self.to_list_id is None):
            raise _refuse("must have exactly one of the properties 'to_campaign_id' and 'to_list_id'")
        if self.ids is not None and self.campaign is None and self.list_id is None:
            raise _refuse("must have property 'campaign' or 'list_id' when 'ids' is given")
        return self


class LeadsAssign(LeadSelection):
    organization_user_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)]
    smart_view_id: uuid.UUID | None = None
    assigned_to: uuid.UUID | None = None
    has_clause: StrictBool | None = None

    @model_validator(mode="after")
    def _no_smart_view(self) -> "LeadsAssign":
        if self.smart_view_id is not None:
            raise _refuse("smart_view_id is not supported on this server")
        return self


class InterestStatusUpdate(RequestModel):
    lead_email: EmailText
    interest_value: InterestValue | None
    campaign_id: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    ai_interest_value: StrictInt | StrictFloat | None = None
    disable_auto_interest: StrictBool | None = None


class SubsequenceMove(RequestModel):
    id: uuid.UUID
    subsequence_id: uuid.UUID


class SubsequenceRemove(RequestModel):
    id: uuid.UUID


class Queued(BaseModel):
    message: str


class AssignQueued(BaseModel):
    status: str = "accepted"
    message: str = "Your request will be processed in a background job"


class InvalidLeadEmail(BaseModel):
    """The spec's 400 body for updateLeadInterestStatus, in the usual envelope as well."""

    statusCode: int = 400  # noqa: N815
    error: str = "Invalid lead email"
    message: str = "Invalid lead email"
