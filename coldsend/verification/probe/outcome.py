"""What a verification found: Reacher's `is_reachable` verdict, the reason behind it, and the evidence."""

from dataclasses import dataclass, field
from enum import StrEnum


class Reachability(StrEnum):
    SAFE = "safe"
    RISKY = "risky"
    INVALID = "invalid"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    DELIVERABLE = "deliverable"
    CATCH_ALL = "catch_all"
    DISPOSABLE = "disposable"
    ROLE = "role"
    FULL_INBOX = "full_inbox"
    SYNTAX = "syntax"
    NO_SUCH_DOMAIN = "no_such_domain"
    NO_MAIL_SERVER = "no_mail_server"
    NULL_MX = "null_mx"
    MAILBOX_NOT_FOUND = "mailbox_not_found"
    MAILBOX_DISABLED = "mailbox_disabled"
    DNS_TIMEOUT = "dns_timeout"
    GREYLISTED = "greylisted"
    SMTP_TIMEOUT = "smtp_timeout"
    SMTP_UNREACHABLE = "smtp_unreachable"
    PORT_BLOCKED = "port_blocked"
    SMTP_ERROR = "smtp_error"
    BLOCKED = "blocked"  # the server refused the probe itself (policy, blocklist), not the mailbox
    MX_NOT_PUBLIC = "mx_not_public"  # every mail server address is loopback or private: not probed


# Reasons worth another try later: the answer may change (greylisting, a busy or slow server).
TRANSIENT = frozenset(
    {Reason.DNS_TIMEOUT, Reason.GREYLISTED, Reason.SMTP_TIMEOUT, Reason.SMTP_UNREACHABLE, Reason.SMTP_ERROR}
)


@dataclass
class Outcome:
    """One verification attempt's result; `transient` ones are retried before they become final."""

    email: str
    reachability: Reachability
    reason: Reason
    catch_all: bool | None = None
    disposable: bool = False
    role: bool = False
    mx_host: str | None = None
    smtp_code: int | None = None
    smtp_message: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    @property
    def transient(self) -> bool:
        return self.reason in TRANSIENT

    def as_details(self) -> dict[str, object]:
        return {
            "reachability": str(self.reachability),
            "reason": str(self.reason),
            "catch_all": self.catch_all,
            "disposable": self.disposable,
            "role": self.role,
            "mx_host": self.mx_host,
            "smtp_code": self.smtp_code,
            "smtp_message": self.smtp_message,
            **self.details,
        }
