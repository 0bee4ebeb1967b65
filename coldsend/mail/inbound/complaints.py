"""Spam complaints: Abuse Reporting Format feedback reports (RFC 5965) that a mailbox provider sends when
a recipient marks a message as spam."""

import re
from dataclasses import dataclass
from email.message import Message

from coldsend.addresses import address_key
from coldsend.mail.inbound.bodies import decoded_text, part_type
from coldsend.mail.inbound.headers import Headers, address_list, first_word
from coldsend.mail.inbound.report import lines_of

_FEEDBACK_REPORT = "message/feedback-report"
_NOT_COMPLAINTS = frozenset({"not-spam"})
_FEEDBACK_TYPE_LINE = re.compile(r"feedback-type[ \t]*:", re.IGNORECASE)
_FIELD_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,40})[ \t]*:[ \t]*(.*)")
# Providers that hide who complained write a placeholder: redacted@..., xxxxxxxx@...
_REDACTED_LOCAL_PART = re.compile(r".*redacted.*|[x*]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Complaint:
    recipient: str | None  # who complained: the returned message's recipient, in `address_key` form
    feedback_type: str  # abuse, fraud, virus, other, ... (RFC 5965 section 7.3)
    user_agent: str | None  # the reporting provider's software, e.g. "Yahoo!-Mail-Feedback/2.0"


def feedback_report(parts: list[Message]) -> Headers | None:
    """The fields of the first `message/feedback-report` part, or None if there is none. A report typed
    `multipart/report; report-type=feedback-report` whose fields are in a part labelled otherwise (text/plain)
    is read from that part's text."""
    for part in parts:
        if part_type(part) != _FEEDBACK_REPORT:
            continue
        payload = part.get_payload()
        blocks = (
            [Headers(block) for block in payload if isinstance(block, Message)]
            if isinstance(payload, list)
            else []
        )
        return blocks[0] if blocks else Headers(Message())
    if part_type(parts[0]) != "multipart/report" or _report_type(parts[0]) != "feedback-report":
        return None
    for part in parts[2:]:  # the first leaf is the human-readable part
        if part_type(part).startswith("text/") and not part.is_multipart():
            fields = _fields(decoded_text(part))
            if fields is not None:
                return fields
    return None


def _report_type(part: Message) -> str:
    try:
        return str(part.get_param("report-type") or "").lower()
    except Exception:
        return ""


def _fields(text: str) -> Headers | None:
    """The fields of a feedback report written as text, if it has a Feedback-Type line."""
    lines = lines_of(text)
    if not any(_FEEDBACK_TYPE_LINE.match(line) for line in lines):
        return None
    report = Message()
    for line in lines:
        field = _FIELD_LINE.match(line)
        if field is not None:
            report[field.group(1)] = field.group(2).strip()
    return Headers(report)


def complaint(report: Headers, returned: Headers | None) -> Complaint | None:
    """The complaint a feedback report makes; None for a report that is no complaint (`not-spam`)."""
    feedback_type = first_word(report.first("feedback-type")) or "abuse"
    if feedback_type in _NOT_COMPLAINTS:
        return None
    recipients = address_list(report.all("original-rcpt-to"))
    if not recipients and returned is not None:
        recipients = address_list(returned.all("to"))
    return Complaint(
        recipient=complainant(recipients[0]) if recipients else None,
        feedback_type=feedback_type,
        user_agent=report.first("user-agent"),
    )


def complainant(address: str) -> str | None:
    """The address of who complained, None for a provider's placeholder (`redacted@...`)."""
    key = address_key(address)
    if key is None or _REDACTED_LOCAL_PART.fullmatch(key.rpartition("@")[0]):
        return None
    return key
