from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError

from coldsend.addresses import InvalidAddress, parse_address
from coldsend.http.schemas import RequestModel, refuse_null
from coldsend.models import RequestStatus, VerificationStatus

MAX_WEBHOOK_URL_LENGTH = 2048
INVALID_EMAIL = 'must match format "email"'
INVALID_WEBHOOK_URL = "must be an http or https URL"


def _email(value: str) -> str:
    try:
        return parse_address(value).email
    except InvalidAddress:
        raise PydanticCustomError("format", INVALID_EMAIL, {"ajv": INVALID_EMAIL}) from None


def _webhook_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:  # a port that is not a number, a bad IPv6 literal
        valid = False
    if not valid or len(value) > MAX_WEBHOOK_URL_LENGTH or any(char.isspace() for char in value):
        raise PydanticCustomError("format", INVALID_WEBHOOK_URL, {"ajv": INVALID_WEBHOOK_URL})
    return value


Email = Annotated[str, AfterValidator(_email)]
WebhookUrl = Annotated[str, AfterValidator(_webhook_url)]


class EmailVerificationCreate(RequestModel):
    email: Email
    webhook_url: WebhookUrl | None = None

    _not_null = refuse_null("webhook_url")


class EmailVerification(BaseModel):
    """The spec's shape exactly (`additionalProperties: false`): the richer result stays server-side."""

    status: RequestStatus | None
    email: str
    verification_status: VerificationStatus
    catch_all: bool | Literal["pending"]
    credits: int | None
    credits_used: int | None
