"""Inbox placement tests and seeds: the request and response shapes."""

import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from coldsend.campaigns.timezones import Timezone
from coldsend.http.schemas import OrganizationId, PatchModel, RequestModel, ResponseModel, Timestamp
from coldsend.http.validation import NoNul
from coldsend.inbox_placement import providers

HH_MM = r"^([01][0-9]|2[0-3]):([0-5][0-9])$"
DAY_KEYS = frozenset(str(day) for day in range(7))
TEST_CODE = re.compile(r"^\s*$|^(ptid_)?(?!ptid_)[A-Za-z0-9_-]{1,45}$")
WEBHOOK_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
PLACEMENT_CONDITIONS = ("placement_goes_below", "placement_goes_above")
Condition = Literal[
    "placement_goes_below", "placement_goes_above", "added_to_blacklists", "removed_from_blacklists"
]
Text = Annotated[str, NoNul]


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message, {"ajv": message})


def _days(value: dict[str, bool]) -> dict[str, bool]:
    if set(value) - DAY_KEYS:
        raise _refuse("days", 'must NOT have additional properties (days are "0" Sunday to "6" Saturday)')
    return {key: value[key] for key in sorted(value)}


def _test_code(value: str | None) -> str | None:
    if value is not None and not TEST_CODE.match(value):
        raise _refuse("pattern", f'must match pattern "{TEST_CODE.pattern}"')
    return value


class Timing(RequestModel):
    from_: str = Field(alias="from", pattern=HH_MM)


class Schedule(RequestModel):
    """When an automated test runs: the days on ("0" Sunday to "6"), at `timing.from`, in `timezone`."""

    days: Annotated[dict[str, bool], AfterValidator(_days)]
    timing: Timing
    timezone: Timezone


class RecipientLabel(BaseModel):
    region: str
    sub_region: str
    type: str
    esp: str


class When(RequestModel):
    condition: Condition
    condition_value: float | None = None


def _webhook_url(value: str | None) -> str | None:
    if value is not None and not WEBHOOK_URL.match(value):
        raise _refuse("format", 'must match format "uri" (an http or https URL)')
    return value


class Then(RequestModel):
    webhook_url: Annotated[str | None, AfterValidator(_webhook_url)] = Field(default=None, max_length=2000)
    pause_sending_campaigns_for: float | None = Field(default=None, gt=0, le=365)
    pause: bool | None = None
    enable_slow_ramp: bool | None = None
    disable_slow_ramp: bool | None = None
    add_tags: list[uuid.UUID] | None = None
    remove_tags: list[uuid.UUID] | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> "Then":
        if not self.model_fields_set:
            raise _refuse("min_properties", "must NOT have fewer than 1 properties")
        return self


class Automation(RequestModel):
    when: When
    then: Then

    @model_validator(mode="after")
    def _threshold(self) -> "Automation":
        if self.when.condition in PLACEMENT_CONDITIONS:
            value = self.when.condition_value
            if value is None or not 0 <= value <= 100:
                raise _refuse(
                    "threshold",
                    f"when.condition_value of {self.when.condition} must be a percentage from 0 to 100",
                )
        return self


class PlacementTestCreate(RequestModel):
    name: Text = Field(min_length=1, max_length=500)
    delivery_mode: Literal[1, 2] | None = None
    description: Text | None = None
    schedule: Schedule | None = None
    type: Literal[1, 2]
    sending_method: Literal[1, 2]
    campaign_id: uuid.UUID | None = None
    email_subject: Text = Field(max_length=10_000)
    email_body: Text = Field(max_length=100_000)
    emails: list[str] = Field(max_length=1000)
    test_code: Annotated[str | None, AfterValidator(_test_code)] = None
    tags: list[uuid.UUID] | None = None
    text_only: bool | None = None
    recipients_labels: list[RecipientLabel] = Field(default_factory=list)
    timestamp_next_run: str | None = None  # computed from the schedule; a value sent is not used
    automations: list[Automation] | None = None
    status: Literal[1, 2, 3] | None = None
    not_sending_status: Literal["daily_limits_hit", "other"] | None = None  # read only: not used
    run_immediately: bool = False


class PlacementTestUpdate(PatchModel):
    name: Text | None = Field(default=None, min_length=1, max_length=500)
    schedule: Schedule | None = None
    automations: list[Automation] | None = None
    status: Literal[1, 2, 3] | None = None


class PlacementTest(ResponseModel):
    id: uuid.UUID
    organization_id: OrganizationId
    name: str
    delivery_mode: int | None
    description: str | None
    schedule: dict[str, Any] | None
    type: int
    sending_method: int
    campaign_id: uuid.UUID | None
    email_subject: str
    email_body: str
    emails: list[str]
    test_code: str | None
    tags: list[uuid.UUID] | None
    text_only: bool | None
    recipients: list[str]
    recipients_labels: list[RecipientLabel]
    timestamp_created: Timestamp
    timestamp_next_run: Timestamp | None
    automations: list[dict[str, Any]] | None
    status: int | None
    not_sending_status: str | None
    metadata: dict[str, Any] | None = Field(default=None, exclude_if=lambda value: value is None)


class EspOption(BaseModel):
    region: str
    sub_region: str
    type: str
    esp: str


class SeedCreate(RequestModel):
    """A seed: an account of the workspace (by its address, no IMAP fields), or a mailbox reached over
    IMAP only. `esp` is found from the domain's MX hosts unless given."""

    email: Text = Field(min_length=3, max_length=320)
    imap_host: Text | None = Field(default=None, max_length=253)
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_username: Text | None = Field(default=None, max_length=320)
    imap_password: str | None = Field(default=None, max_length=1000)
    imap_tls: Literal["ssl", "starttls", "cleartext", "none"] | None = None
    region: Text = Field(default=providers.DEFAULT_REGION, min_length=1, max_length=100)
    sub_region: Text = Field(default=providers.DEFAULT_SUB_REGION, min_length=1, max_length=100)
    type: Literal["Professional", "Personal"] | None = None
    esp: Literal["Google", "Microsoft", "Yahoo", "Zoho", "Web.de", "Libero.it", "Other"] | None = None

    def imap_given(self) -> bool:
        return any(
            value is not None
            for value in (self.imap_host, self.imap_port, self.imap_username, self.imap_password)
        )


class Seed(ResponseModel):
    id: uuid.UUID
    organization_id: OrganizationId
    email: str
    account_id: uuid.UUID | None
    imap_host: str | None
    imap_port: int | None
    imap_username: str | None
    imap_tls: str
    esp: str
    region: str
    sub_region: str
    type: str
    read_error: str | None
    timestamp_created: Timestamp
