import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from coldsend.http.schemas import Organization, PatchModel, RequestModel, ResponseModel, Timestamp, column
from coldsend.http.validation import NoNul
from coldsend.lead_labels.schemas import INTEREST_STATUS_MAX, INTEREST_STATUS_MIN
from coldsend.models import EnrichmentStatus, LeadStatus

MAX_ADD = 1000
MAX_BULK_DELETE = 10_000
MAX_LIST_LIMIT = 100


Name = Annotated[str, Field(max_length=500), NoNul]
Phone = Annotated[str, Field(max_length=100), NoNul]
Website = Annotated[str, Field(max_length=2048), NoNul]
PlValue = Annotated[str, Field(max_length=100), NoNul]
Personalization = Annotated[str, Field(max_length=100_000), NoNul]
EmailText = Annotated[str, Field(max_length=1000), NoNul]
InterestValue = Annotated[StrictInt, Field(ge=INTEREST_STATUS_MIN, le=INTEREST_STATUS_MAX)]
CustomValue = (
    Annotated[str, Field(max_length=10_000), NoNul]
    | StrictBool
    | StrictInt
    | Annotated[float, Field(allow_inf_nan=False)]
    | None
)
CustomVariables = dict[Annotated[str, Field(max_length=200), NoNul], CustomValue]
# The JSON columns are written by orjson, which holds integers in this range only. Checked by the lead
# service rather than here: in a bulk add one such lead is skipped, not the whole batch (and a bound on
# the int would let pydantic fall through to float, storing a different number).
JSON_INT_MIN = -(2**63)
JSON_INT_MAX = 2**64 - 1


def unstorable_variable(variables: dict[str, Any] | None) -> str | None:
    """`custom_variables/<name> must be ...` for the first integer the JSON columns cannot hold."""
    for name, value in (variables or {}).items():
        if type(value) is int and not JSON_INT_MIN <= value <= JSON_INT_MAX:
            bound = f">= {JSON_INT_MIN}" if value < JSON_INT_MIN else f"<= {JSON_INT_MAX}"
            return f"custom_variables/{name} must be {bound}"
    return None


class Lead(ResponseModel):
    """The spec's Lead, every field in its order."""

    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_updated: Timestamp
    organization: Organization
    campaign: uuid.UUID | None = column("campaign_id", shown_as="campaign")
    status: int
    email: str | None
    personalization: str | None
    website: str | None
    last_name: str | None
    first_name: str | None
    company_name: str | None
    job_title: str | None
    phone: str | None
    email_open_count: int
    email_reply_count: int
    email_click_count: int
    company_domain: str
    status_summary: dict[str, Any]
    payload: dict[str, Any] | None
    status_summary_subseq: dict[str, Any]
    last_step_from: str | None
    last_step_id: uuid.UUID | None
    last_step_timestamp_executed: Timestamp | None
    email_opened_step: int | None
    email_opened_variant: int | None
    email_replied_step: int | None
    email_replied_variant: int | None
    email_clicked_step: int | None
    email_clicked_variant: int | None
    lt_interest_status: int | None
    subsequence_id: uuid.UUID | None
    verification_status: int | None
    pl_value_lead: str | None
    timestamp_added_subsequence: Timestamp | None
    timestamp_last_contact: Timestamp | None
    timestamp_last_open: Timestamp | None
    timestamp_last_reply: Timestamp | None
    timestamp_last_interest_change: Timestamp | None
    timestamp_last_click: Timestamp | None
    enrichment_status: int | None
    list_id: uuid.UUID | None
    last_contacted_from: str | None
    uploaded_by_user: uuid.UUID | None
    upload_method: str
    assigned_to: uuid.UUID | None
    is_website_visitor: bool | None
    timestamp_last_touch: Timestamp | None
    esp_code: int | None
    esg_code: int | None


class LeadFields(RequestModel):
    """The lead fields a client may set, on create, bulk add and patch."""

    personalization: Personalization | None = None
    website: Website | None = None
    last_name: Name | None = None
    first_name: Name | None = None
    company_name: Name | None = None
    job_title: Name | None = None
    phone: Phone | None = None
    lt_interest_status: InterestValue | None = None
    pl_value_lead: PlValue | None = None
    assigned_to: uuid.UUID | None = None
    custom_variables: CustomVariables | None = None


class LeadCreate(LeadFields):
    campaign: uuid.UUID | None = None
    email: EmailText | None = None
    list_id: uuid.UUID | None = None
    skip_if_in_workspace: StrictBool | None = None
    skip_if_in_campaign: StrictBool | None = None
    skip_if_in_list: StrictBool | None = None
    blocklist_id: uuid.UUID | None = None
    verify_leads_for_lead_finder: StrictBool | None = None
    verify_leads_on_import: StrictBool | None = None


class LeadUpdate(PatchModel, LeadFields):
    pass


class LeadIn(LeadFields):
    """One lead of a bulk add."""

    email: EmailText | None = None


class LeadsAdd(RequestModel):
    campaign_id: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    leads: list[LeadIn] = Field(min_length=1, max_length=MAX_ADD)
    blocklist_id: uuid.UUID | None = None
    assigned_to: uuid.UUID | None = None
    verify_leads_on_import: StrictBool | None = None
    skip_if_in_workspace: StrictBool | None = None
    skip_if_in_campaign: StrictBool | None = None
    skip_if_in_list: StrictBool | None = None

    @model_validator(mode="after")
    def _one_container(self) -> "LeadsAdd":
        if (self.campaign_id is None) == (self.list_id is None):
            message = "must have exactly one of the properties 'campaign_id' and 'list_id'"
            raise PydanticCustomError("one_of", message, {"ajv": message})
        return self


class CreatedLead(BaseModel):
    index: int
    id: uuid.UUID
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None


class SkippedLead(BaseModel):
    index: int
    reason: str


class LeadsAdded(BaseModel):
    status: str = "success"
    total_sent: int
    leads_uploaded: int
    in_blocklist: int
    blocklist_used: str | None
    duplicated_leads: int
    skipped_count: int
    invalid_email_count: int
    incomplete_count: int
    duplicate_email_count: int
    remaining_in_plan: int | None
    created_leads: list[CreatedLead]
    skipped_leads: list[SkippedLead] | None = Field(
        default=None,
        description="Coldsend: the leads refused for a value they cannot hold (also in skipped_count), "
        "by index with the reason; present only when there are some",
    )


class LeadsDelete(RequestModel):
    campaign_id: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    status: LeadStatus | None = None
    ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_BULK_DELETE)
    limit: StrictInt | None = Field(default=None, ge=1, le=MAX_BULK_DELETE)

    @model_validator(mode="after")
    def _a_container(self) -> "LeadsDelete":
        if self.campaign_id is None and self.list_id is None:
            message = "must have required property 'campaign_id'"
            raise PydanticCustomError("any_of", message, {"ajv": message})
        return self


class DeletedCount(BaseModel):
    count: int


class LeadMerge(RequestModel):
    lead_id: uuid.UUID
    destination_lead_id: uuid.UUID


class LeadFilter(StrEnum):
    CONTACTED = "FILTER_VAL_CONTACTED"
    NOT_CONTACTED = "FILTER_VAL_NOT_CONTACTED"
    COMPLETED = "FILTER_VAL_COMPLETED"
    UNSUBSCRIBED = "FILTER_VAL_UNSUBSCRIBED"
    ACTIVE = "FILTER_VAL_ACTIVE"
    INTERESTED = "FILTER_LEAD_INTERESTED"
    NOT_INTERESTED = "FILTER_LEAD_NOT_INTERESTED"
    MEETING_BOOKED = "FILTER_LEAD_MEETING_BOOKED"
    MEETING_COMPLETED = "FILTER_LEAD_MEETING_COMPLETED"
    CLOSED = "FILTER_LEAD_CLOSED"
    OUT_OF_OFFICE = "FILTER_LEAD_OUT_OF_OFFICE"
    WRONG_PERSON = "FILTER_LEAD_WRONG_PERSON"
    LOST = "FILTER_LEAD_LOST"
    NO_SHOW = "FILTER_LEAD_NO_SHOW"
    CUSTOM_LABEL_POSITIVE = "FILTER_LEAD_CUSTOM_LABEL_POSITIVE"
    CUSTOM_LABEL_NEGATIVE = "FILTER_LEAD_CUSTOM_LABEL_NEGATIVE"
    BOUNCED = "FILTER_VAL_BOUNCED"
    SKIPPED = "FILTER_VAL_SKIPPED"
    RISKY = "FILTER_VAL_RISKY"
    INVALID = "FILTER_VAL_INVALID"
    VALID = "FILTER_VAL_VALID"
    IN_SUBSEQUENCE = "FILTER_VAL_IN_SUBSEQUENCE"
    OPENED_NO_REPLY = "FILTER_VAL_OPENED_NO_REPLY"
    COMPLETED_NO_REPLY = "FILTER_VAL_COMPLETED_NO_REPLY"
    NO_OPENS = "FILTER_VAL_NO_OPENS"
    REPLIED = "FILTER_VAL_REPLIED"
    LINK_CLICKED = "FILTER_VAL_LINK_CLICKED"


class OccurrenceCount(BaseModel):
    condition: Literal["more", "less", "equal"] | None = None
    count: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] = 0


class StatusCondition(BaseModel):
    status: InterestValue | None = None
    condition: Literal["is", "is-not"] | None = None


class QueryValues(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    occurrence_days: Annotated[float, Field(ge=0, le=36_500)] | None = Field(
        default=None, alias="occurrence-days"
    )
    occurrence_count: OccurrenceCount | None = Field(default=None, alias="occurrence-count")
    lead_status: StatusCondition | None = Field(default=None, alias="lead-status")


class SmartQuery(BaseModel):
    """A smart view query: `actionType` and its `values`."""

    actionType: Literal[
        "reply", "email-open", "last-contacted", "link-click", "lead-status", "lead-status-change"
    ]  # noqa: N815
    values: QueryValues


class LeadsQuery(RequestModel):
    """POST /leads/list: filters, and paging in the body."""

    search: Name | None = None
    filter: LeadFilter | None = None
    campaign: uuid.UUID | None = None
    list_id: uuid.UUID | None = None
    in_campaign: StrictBool | None = None
    in_list: StrictBool | None = None
    ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_BULK_DELETE)
    queries: list[SmartQuery] | None = Field(default=None, max_length=100)
    excluded_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_BULK_DELETE)
    contacts: list[EmailText] | None = Field(default=None, max_length=MAX_BULK_DELETE)
    limit: StrictInt = Field(default=MAX_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)
    starting_after: EmailText | None = None
    organization_user_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_BULK_DELETE)
    smart_view_id: uuid.UUID | None = None
    is_website_visitor: StrictBool | None = None
    distinct_contacts: StrictBool | None = None
    enrichment_status: EnrichmentStatus | None = None
    esg_code: str | None = Field(default=None, pattern=r"^(0|1|2|3|4|all|none)$")
