import re
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from coldsend.http.schemas import (
    Organization,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
    column,
    refuse_null,
)
from coldsend.lead_labels.schemas import INTEREST_STATUS_MAX, INTEREST_STATUS_MIN
from coldsend.webhooks.event_types import EventType

MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 255
MAX_HEADERS = 50
MAX_HEADER_NAME_LENGTH = 256
MAX_HEADER_VALUE_LENGTH = 8192
INVALID_URL = "must be an http or https URL with a host"

# RFC 9110 `token`, and a field value as httpx sends it (ASCII; no CR, LF or other control character).
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")
# Set by the dispatcher on every delivery, or hop-by-hop / framing: a user's value would break the request
# or forge the signature.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
SIGNATURE_HEADER_PREFIX = "webhook-"


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("webhook_field", message, {"ajv": message})


def _target_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # a port that is not a number, a bad IPv6 literal
        valid = False
    if not valid or len(value) > MAX_URL_LENGTH or any(char.isspace() for char in value):
        raise _invalid(INVALID_URL)
    return value


def _headers(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    if len(value) > MAX_HEADERS:
        raise _invalid(f"must NOT have more than {MAX_HEADERS} properties")
    seen: set[str] = set()
    for name, text in value.items():
        lowered = name.lower()
        if not _HEADER_NAME.match(name) or len(name) > MAX_HEADER_NAME_LENGTH:
            raise _invalid(f"has an invalid header name {name!r} (letters, digits and !#$%&'*+-.^_`|~ only)")
        if lowered in seen:
            raise _invalid(f"names the header {name!r} twice (header names are case-insensitive)")
        seen.add(lowered)
        if lowered in RESERVED_HEADERS:
            raise _invalid(f"must not set {name}: it is set by the HTTP client for each delivery")
        if lowered.startswith(SIGNATURE_HEADER_PREFIX):
            raise _invalid(f"must not set {name}: webhook-* headers carry Coldsend's signature")
        if not _HEADER_VALUE.match(text) or len(text) > MAX_HEADER_VALUE_LENGTH:
            raise _invalid(
                f"value of {name!r} must be printable ASCII of at most {MAX_HEADER_VALUE_LENGTH} characters, "
                "without line breaks"
            )
    return value


TargetUrl = Annotated[str, AfterValidator(_target_url)]
Headers = Annotated[dict[str, str] | None, AfterValidator(_headers)]
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]
CustomInterestValue = Annotated[int, Field(ge=INTEREST_STATUS_MIN, le=INTEREST_STATUS_MAX)]


class Webhook(ResponseModel):
    """The spec's Webhook exactly (`additionalProperties: false`): never the secret."""

    id: uuid.UUID
    organization: Organization
    campaign: uuid.UUID | None = column("campaign_id", shown_as="campaign")
    name: str | None
    target_hook_url: str
    event_type: str | None
    custom_interest_value: int | None
    headers: dict[str, Any] | None
    timestamp_created: Timestamp
    status: int | None
    timestamp_error: Timestamp | None


class WebhookCreate(RequestModel):
    campaign: uuid.UUID | None = None
    name: Name | None = None
    target_hook_url: TargetUrl
    event_type: EventType | None = None
    custom_interest_value: CustomInterestValue | None = None
    headers: Headers = None


class WebhookUpdate(PatchModel):
    campaign: uuid.UUID | None = None
    name: Name | None = None
    target_hook_url: TargetUrl | None = None
    event_type: EventType | None = None
    custom_interest_value: CustomInterestValue | None = None
    headers: Headers = None

    _not_null = refuse_null("target_hook_url")


class EventTypeItem(BaseModel):
    id: str
    label: str
    type: str


class EventTypes(BaseModel):
    event_types: list[EventTypeItem]


class WebhookSecret(BaseModel):
    secret: str


class WebhookReplay(RequestModel):
    since: datetime


class ReplayResult(BaseModel):
    queued: int
