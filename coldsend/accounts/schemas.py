import ipaddress
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic_core import PydanticCustomError

from coldsend.addresses import normalize_email
from coldsend.http.schemas import (
    Organization,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
    refuse_null,
)
from coldsend.mail.tls import TlsMode
from coldsend.models import ProviderCode

MAX_BULK = 100
MAX_PORT = 65535
MAX_HOST_LENGTH = 253
_HOST_LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


class AccountFilter(StrEnum):
    PAUSED = "ACC_FILTER_PAUSED"
    ERROR = "ACC_FILTER_ERROR"
    NO_CTD = "ACC_FILTER_NO_CTD"
    PW_ACCOUNTS = "ACC_FILTER_PW_ACCOUNTS"
    DFY = "ACC_FILTER_DFY"
    DFY_SETUP_PENDING = "ACC_FILTER_DFY_SETUP_PENDING"
    W_ACTIVE = "ACC_FILTER_W_ACTIVE"
    W_PAUSED = "ACC_FILTER_W_PAUSED"
    W_ERROR = "ACC_FILTER_W_ERROR"


PROVIDER_CODES = (
    "Provider code of the account: 1 Custom IMAP/SMTP, 2 Google, 3 Microsoft, 4 AWS, 8 AirMail, "
    "11 Airmail Instant. Coldsend sends and reads every account over the SMTP and IMAP settings given, "
    "whatever the code."
)


class SortColumn(StrEnum):
    TIMESTAMP_CREATED = "timestamp_created"
    EMAIL = "email"
    STAT_WARMUP_SCORE = "stat_warmup_score"
    STATUS = "status"


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except ValueError:
        message = 'must match format "email"'
        raise PydanticCustomError("email_format", message, {"ajv": message}) from None


def _host(value: str) -> str:
    """A host name (one label allowed, e.g. `localhost`) or an IP address, in lookup form."""
    name = value.strip().rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        pass
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    labels = name.split(".")
    valid = 0 < len(name) <= MAX_HOST_LENGTH and all(
        0 < len(label) <= 63 and set(label) <= _HOST_LABEL_CHARACTERS and label[0] != "-" and label[-1] != "-"
        for label in labels
    )
    if not valid or labels[-1].isdigit():
        message = "must be a host name or an IP address"
        raise PydanticCustomError("host_format", message, {"ajv": message})
    return name


def _not_blank(value: str) -> str:
    if not value.strip():
        message = "must not be blank"
        raise PydanticCustomError("blank", message, {"ajv": message})
    return value


Email = Annotated[str, AfterValidator(_email)]
Host = Annotated[str, Field(max_length=300), AfterValidator(_host)]
Port = Annotated[int, Field(ge=1, le=MAX_PORT)]
Username = Annotated[str, Field(min_length=1, max_length=320), AfterValidator(_not_blank)]
Password = Annotated[str, Field(min_length=1, max_length=1000)]
# Empty SMTP credentials (still required fields, as in the spec): a relay that takes no AUTH (a local
# Postfix, an IP-authorised smarthost).
SmtpUsername = Annotated[str, Field(max_length=320)]
SmtpPassword = Annotated[str, Field(max_length=1000)]
Rate = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Text = Annotated[str, Field(max_length=500)]


class WarmupAdvanced(RequestModel):
    warm_ctd: bool | None = None
    open_rate: Rate | None = None
    important_rate: Rate | None = None
    read_emulation: bool | None = None
    spam_save_rate: Rate | None = None
    weekday_only: bool | None = None


class Warmup(RequestModel):
    limit: Count | None = None
    advanced: WarmupAdvanced | None = None
    warmup_custom_ftag: Text | None = None
    increment: Literal["disabled", "0", "1", "2", "3", "4"] | None = None
    reply_rate: Rate | None = None


class AccountSettings(RequestModel):
    """The writable fields create and PATCH share (the spec's, plus the mail server extension fields)."""

    first_name: Text | None = None
    last_name: Text | None = None
    warmup: Warmup | None = None
    daily_limit: Count | None = Field(
        default=None,
        description="Emails per UTC day from this account, over all its campaigns (sent or planned). Default "
        "(unset or 0): COLDSEND_ACCOUNT_DEFAULT_DAILY_LIMIT, 50 unless configured.",
    )
    tracking_domain_name: Host | None = None
    tracking_domain_status: Annotated[str, Field(max_length=50)] | None = None
    enable_slow_ramp: bool | None = Field(
        default=None,
        description="Ramp the daily limit up from the account's first send: 5 emails on the first day, "
        "5 more each day after (10, 15, ...) until daily_limit. Default (unset): off.",
    )
    inbox_placement_test_limit: Count | None = None
    sending_gap: Annotated[int, Field(ge=0, le=1440)] | None = Field(
        default=None,
        description="Minutes this account waits after each of its emails before the next (over all its "
        "campaigns; a campaign's longer email_gap wins), 0 to 1440. Default (not given on create): 10 "
        "minutes, so one account sends at most 6 emails an hour; 0 sends back to back.",
    )
    signature: Annotated[str, Field(max_length=20_000)] | None = None
    reply_to: Email | None = None
    skip_cname_check: bool | None = None
    smtp_tls: TlsMode | None = Field(
        default=None,
        description=(
            "Coldsend extension: ssl, starttls (required), none (plain, no AUTH: a relay) or cleartext "
            "(plain, password in the clear); default from the port (465 ssl, else starttls)"
        ),
    )
    imap_tls: TlsMode | None = Field(
        default=None,
        description=(
            "Coldsend extension: ssl, starttls (required) or cleartext (plain, password in the clear); "
            "default from the port (993 ssl, else starttls)"
        ),
    )

    _not_null = refuse_null("warmup", "sending_gap", "skip_cname_check", "smtp_tls", "imap_tls")


class AccountCreate(AccountSettings):
    email: Email
    first_name: Text
    last_name: Text
    provider_code: ProviderCode = Field(description=PROVIDER_CODES)
    imap_username: Username
    imap_password: Password
    imap_host: Host
    imap_port: Port
    smtp_username: SmtpUsername
    smtp_password: SmtpPassword
    smtp_host: Host
    smtp_port: Port
    warmup_custom_ftag: Text | None = None


class AccountUpdate(AccountSettings, PatchModel):
    """The spec's PATCH body, plus (Coldsend extension) the mail server settings, so a changed
    password can be fixed without deleting the account."""

    remove_tracking_domain: bool | None = None
    imap_username: Username | None = None
    imap_password: Password | None = None
    imap_host: Host | None = None
    imap_port: Port | None = None
    smtp_username: SmtpUsername | None = None
    smtp_password: SmtpPassword | None = None
    smtp_host: Host | None = None
    smtp_port: Port | None = None

    _server_not_null = refuse_null(
        "first_name",
        "last_name",
        "remove_tracking_domain",
        "imap_username",
        "imap_password",
        "imap_host",
        "imap_port",
        "smtp_username",
        "smtp_password",
        "smtp_host",
        "smtp_port",
    )


class AccountTag(BaseModel):
    id: uuid.UUID
    label: str
    description: str | None


class Account(ResponseModel):
    email: str
    timestamp_created: Timestamp
    timestamp_updated: Timestamp
    first_name: str
    last_name: str
    warmup: dict[str, Any] | None = None
    added_by: uuid.UUID | None
    daily_limit: int | None
    daily_limit_max: int | None
    warmup_limit_max: int | None
    modified_by: uuid.UUID | None
    tracking_domain_name: str | None
    tracking_domain_status: str | None
    status: int
    enable_slow_ramp: bool | None
    inbox_placement_test_limit: int | None
    organization: Organization
    warmup_status: int
    status_message: dict[str, Any] | None = None
    timestamp_warmup_start: Timestamp | None
    provider_code: int
    setup_pending: bool
    is_managed_account: bool
    stat_warmup_score: float | None
    sending_gap: int
    signature: str | None
    reply_to: str | None
    autofix_failed: bool | None
    tags: list[AccountTag] | None = None

    @model_serializer(mode="wrap")
    def _omit_absent_objects(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # warmup and status_message are objects that are not nullable in the spec: left out when unset;
        # tags only appear when include_tags asked for them.
        shown: dict[str, Any] = handler(self)
        for name in ("warmup", "status_message", "tags"):
            if shown.get(name) is None:
                shown.pop(name, None)
        return shown


class AccountsPause(RequestModel):
    emails: list[str] = Field(min_length=1, max_length=MAX_BULK)


class PauseResult(BaseModel):
    paused_emails: list[str]
    failed_emails: list[str]


class WarmupFilter(BaseModel):
    """`additionalProperties: true` in the spec: unknown keys are accepted and ignored."""

    tag_id: uuid.UUID | None = None
    filter: AccountFilter | None = None


class WarmupSelection(RequestModel):
    emails: list[Email] | None = Field(default=None, max_length=MAX_BULK)
    include_all_emails: bool | None = None
    excluded_emails: list[Email] | None = Field(default=None, max_length=MAX_BULK)
    filter: WarmupFilter | None = None
    search: Annotated[str, Field(max_length=320)] | None = None


class AccountsMove(RequestModel):
    emails: list[Email] = Field(min_length=1, max_length=1000)
    source_workspace_id: uuid.UUID
    destination_workspace_id: uuid.UUID


class MoveResult(BaseModel):
    status: Literal["success"]


class VitalsRequest(RequestModel):
    accounts: list[Email] | None = Field(default=None, max_length=MAX_BULK)


class AccountVitals(BaseModel):
    """The spec's per-domain checks, plus (Coldsend) the account and its SMTP and IMAP logins."""

    domain: str
    email: str
    allPass: bool  # noqa: N815 - the spec's field name
    mx: bool
    spf: bool
    dkim: bool
    dmarc: bool
    smtp: bool
    imap: bool
    messages: dict[str, str]


class VitalsResult(BaseModel):
    status: Literal["success"]
    success_list: list[AccountVitals]
    failure_list: list[AccountVitals]


class CtdStatus(BaseModel):
    success: bool
    ssl: bool
    cname: bool
    host: str
