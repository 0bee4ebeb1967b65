import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictInt
from pydantic_core import PydanticCustomError

from coldsend.addresses import normalize_email
from coldsend.analytics.dates import YEARS, in_utc
from coldsend.http.schemas import OrganizationId, PatchModel, RequestModel, ResponseModel, Timestamp
from coldsend.http.validation import NoNul

MAX_PREVIEW_RECIPIENTS = 10
MAX_RECIPIENTS = 50  # of a reply or forward, To, Cc and Bcc each
MAX_BODY_CHARS = 1_000_000  # of a test email, as of a reply or forward
RECIPIENTS_MESSAGE = "must be a comma-separated list of email addresses"
ONE_LINE_MESSAGE = "must not contain line breaks or NUL characters"


class EmailMode(StrEnum):
    FOCUSED = "emode_focused"
    OTHERS = "emode_others"
    ALL = "emode_all"


class EmailKind(StrEnum):
    RECEIVED = "received"
    SENT = "sent"
    MANUAL = "manual"


class Email(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_email: Timestamp
    message_id: str
    subject: str
    from_address_email: str | None
    to_address_email_list: str
    cc_address_email_list: str | None
    bcc_address_email_list: str | None
    reply_to: str | None
    body: dict[str, Any]
    organization_id: OrganizationId
    campaign_id: uuid.UUID | None
    subsequence_id: uuid.UUID | None
    list_id: uuid.UUID | None
    lead: str | None
    lead_id: uuid.UUID | None
    eaccount: str
    ue_type: int | None
    step: str | None
    is_unread: int | None
    is_auto_reply: int | None
    reminder_ts: Timestamp | None
    ai_interest_value: float | None
    ai_assisted: int | None
    is_focused: int | None
    i_status: int | None
    thread_id: str | None
    content_preview: str | None
    attachment_json: dict[str, Any] | None
    from_address_json: list[Any] | None
    to_address_json: list[Any] | None
    cc_address_json: list[Any] | None
    ai_agent_id: uuid.UUID | None


def _sane_instant(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.year not in YEARS:
        message = f"must be between the years {YEARS.start} and {YEARS.stop - 1}"
        raise PydanticCustomError("date_range", message, {"ajv": message})
    return in_utc(value)


class EmailUpdate(PatchModel):
    is_unread: Annotated[StrictInt, Field(ge=0, le=1)] | None = None
    reminder_ts: Annotated[datetime | None, AfterValidator(_sane_instant)] = None


def _address_list(value: str, *, limit: int, allow_empty: bool = False) -> str:
    try:
        addresses = [normalize_email(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise PydanticCustomError("format", RECIPIENTS_MESSAGE, {"ajv": RECIPIENTS_MESSAGE}) from None
    if not addresses and not allow_empty:
        raise PydanticCustomError("format", RECIPIENTS_MESSAGE, {"ajv": RECIPIENTS_MESSAGE})
    if len(addresses) > limit:
        message = f"must NOT have more than {limit} addresses"
        raise PydanticCustomError("too_long", message, {"ajv": message})
    return ",".join(dict.fromkeys(addresses))


def _recipients(value: str) -> str:
    return _address_list(value, limit=MAX_PREVIEW_RECIPIENTS)


def _to_list(value: str) -> str:
    return _address_list(value, limit=MAX_RECIPIENTS)


def _copy_list(value: str) -> str:
    return _address_list(value, limit=MAX_RECIPIENTS, allow_empty=True)


def _address(value: str) -> str:
    try:
        return normalize_email(value)
    except ValueError:
        raise PydanticCustomError(
            "format", 'must match format "email"', {"ajv": 'must match format "email"'}
        ) from None


def _one_line(value: str) -> str:
    if set(value) & {"\r", "\n", "\x00"}:
        raise PydanticCustomError("one_line", ONE_LINE_MESSAGE, {"ajv": ONE_LINE_MESSAGE})
    return value


class PreviewBody(BaseModel):
    html: Annotated[str, Field(max_length=MAX_BODY_CHARS)]


class PreviewEmail(BaseModel):
    eaccount: Annotated[str, Field(min_length=1, max_length=320)]
    to_address_email_list: Annotated[str, Field(max_length=20_000), AfterValidator(_recipients)]
    subject: Annotated[str, Field(max_length=998), AfterValidator(_one_line)]
    body: PreviewBody


Address = Annotated[str, Field(max_length=320), AfterValidator(_address)]
CopyList = Annotated[str, Field(max_length=20_000), AfterValidator(_copy_list)]
Subject = Annotated[str, Field(min_length=1, max_length=998), AfterValidator(_one_line)]


class ManualBody(RequestModel):
    """Either part or both; one alone makes the other (text from html, html from text)."""

    html: Annotated[str, Field(max_length=1_000_000), NoNul] | None = None
    text: Annotated[str, Field(max_length=1_000_000), NoNul] | None = None


class EmailReply(RequestModel):
    eaccount: Annotated[str, Field(min_length=1, max_length=320)]
    reply_to_uuid: uuid.UUID
    subject: Subject
    body: ManualBody
    additional_recipients: Annotated[list[Address], Field(max_length=MAX_RECIPIENTS)] | None = None
    cc_address_email_list: CopyList | None = None
    bcc_address_email_list: CopyList | None = None
    reminder_ts: Annotated[datetime | None, AfterValidator(_sane_instant)] = None
    assigned_to: uuid.UUID | None = None


class EmailForward(RequestModel):
    eaccount: Annotated[str, Field(min_length=1, max_length=320)]
    reply_to_uuid: uuid.UUID
    to_address_email_list: Annotated[str, Field(max_length=20_000), AfterValidator(_to_list)]
    subject: Subject
    body: ManualBody | None = None
    cc_address_email_list: CopyList | None = None
    bcc_address_email_list: CopyList | None = None
    reply_to: Address | None = None
    forwarded_attachments: Annotated[str, Field(max_length=100_000)] | None = None
    include_original_body: bool | None = None
    assigned_to: uuid.UUID | None = None


class PreviewSent(BaseModel):
    status: Literal["success"] = "success"


PreviewError = Literal["ACC_AUTH_ERROR", "ACC_NOT_FOUND", "ACC_UNKNOWN_ERROR"]


class PreviewFailed(BaseModel):
    """HTTP 200 with an `error`: how the spec answers a test email that could not be sent.

    `message` is ours (the spec's object allows more properties): the error code alone says neither which
    account nor what the mail server answered.
    """

    error: PreviewError
    message: str


class UnreadCount(BaseModel):
    count: int


class ThreadMarkedRead(BaseModel):
    success: bool
