"""Spam complaints: Abuse Reporting Format feedback reports (RFC 5965) that a mailbox provider sends when
a recipient marks a message as spam."""

from dataclasses import dataclass
from email.message import Message

from coldsend.addresses import address_key
from coldsend.mail.inbound.bodies import part_type
from coldsend.mail.inbound.headers import Headers, address_list, first_word

_FEEDBACK_REPORT = "message/feedback-report"
_NOT_COMPLAINTS = frozenset({"not-spam"})


@dataclass(frozen=True, slots=True)
class Complaint:
    recipient: str | None  # who complained: the returned message's recipient, in `address_key` form
    feedback_type: str  # abuse, fraud, virus, other, ... (RFC 5965 section 7.3)
    user_agent: str | None  # the reporting provider's software, e.g. "Yahoo!-Mail-Feedback/2.0"


def feedback_report(parts: list[Message]) -> Headers | None:
    """The fields of the first `message/feedback-report` part, or None if there is none."""
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
    return None


def complaint(report: Headers, returned: Headers | None) -> Complaint | None:
    """The complaint a feedback report makes; None for a report that is no complaint (`not-spam`)."""
    feedback_type = first_word(report.first("feedback-type")) or "abuse"
    if feedback_type in _NOT_COMPLAINTS:
        return None
    recipients = address_list(report.all("original-rcpt-to"))
    if not recipients and returned is not None:
        recipients = address_list(returned.all("to"))
    recipient = address_key(recipients[0]) if recipients else None
    return Complaint(recipient=recipient, feedback_type=feedback_type, user_agent=report.first("user-agent"))
