"""Which kind an inbound message is, from the most to the least machine-readable evidence: a feedback
report, a provider's JSON notification, a delivery-status report (a MIME part, or its fields in the text
when the MIME structure is broken), a read receipt, a plain-text report, then auto-reply signs and
threading."""

from dataclasses import dataclass
from email.message import Message

from coldsend.mail.inbound.autoreplies import is_auto_reply
from coldsend.mail.inbound.bodies import part_type, report_texts
from coldsend.mail.inbound.bounces import (
    Bounce,
    dsn_bounce,
    plain_bounce,
    returned_headers,
    returned_message_ids,
)
from coldsend.mail.inbound.complaints import Complaint, complainant, complaint, feedback_report
from coldsend.mail.inbound.dsn import (
    attached_delivery_status_blocks,
    delivery_status_blocks,
    is_delay,
    is_failure,
    text_blocks,
)
from coldsend.mail.inbound.headers import Headers, address_list
from coldsend.mail.inbound.kinds import InboundKind
from coldsend.mail.inbound.plain import Outcome, outcome, read_signals
from coldsend.mail.inbound.providers import Notification, provider_notification
from coldsend.mail.inbound.recipients import ADDRESS, list_address, named_in_report
from coldsend.mail.inbound.report import returned_field, split_report

_LIST_HEADERS = ("list-id", "list-post", "x-beenthere")


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: InboundKind
    bounce: Bounce | None = None
    complaint: Complaint | None = None
    returned: tuple[str, ...] = ()  # Message-IDs of the message a bounce or complaint returns


@dataclass(frozen=True, slots=True)
class Mail:
    """What classifying a message reads."""

    headers: Headers
    parts: list[Message]
    subject: str
    text: str
    own: set[str]  # the message's own From, To and Cc: never the failed recipient
    has_thread: bool


def classify(mail: Mail) -> Verdict:
    report = feedback_report(mail.parts)
    if report is not None:
        found = complaint(report, returned_headers(mail.parts))
        if found is None:  # not-spam: no complaint
            return Verdict(InboundKind.OTHER)
        return Verdict(InboundKind.COMPLAINT, complaint=found, returned=_returned(mail))
    notification = provider_notification(mail.text)
    if notification is not None:
        return _notified(notification)
    signals = read_signals(
        mail.headers, mail.subject, mail.text, part_type(mail.parts[0]), answers=mail.has_thread
    )
    explanation, returned_copy = split_report(mail.text)
    blocks = delivery_status_blocks(mail.parts)
    if blocks is None and signals.machine:
        blocks = attached_delivery_status_blocks(mail.parts) or text_blocks(report_texts(mail.parts)) or None
    if blocks is not None:
        failed = next((block for block in blocks if is_failure(block)), None)
        if failed is None:  # delayed, relayed, delivered: a notice, not a bounce
            delayed = any(is_delay(block) for block in blocks)
            return Verdict(InboundKind.DELAY_WARNING if delayed else InboundKind.OTHER)
        fallbacks = [*named_in_report(explanation), _returned_to(mail, returned_copy)]
        bounce = dsn_bounce(failed, explanation, fallbacks, mail.own)
        return Verdict(InboundKind.BOUNCE, bounce=bounce, returned=_returned(mail))
    receipt = any(part_type(part) == "message/disposition-notification" for part in mail.parts)
    # A read receipt; or a Sieve "reject" (RFC 5429): a disposition notification whose text says refused.
    said = outcome(signals, mail.subject, explanation, by_subject=not receipt)
    if receipt and said is not Outcome.FAILED:
        return Verdict(InboundKind.OTHER)
    if said is Outcome.FAILED:
        bounce = plain_bounce(explanation, _plain_candidates(mail, explanation, returned_copy), mail.own)
        return Verdict(InboundKind.BOUNCE, bounce=bounce, returned=_returned(mail))
    if said is Outcome.DELAYED:
        return Verdict(InboundKind.DELAY_WARNING)
    if said is Outcome.HELD or signals.system_sender or part_type(mail.parts[0]) == "multipart/report":
        return Verdict(InboundKind.OTHER)  # a mail system's or a list's notice: not a person writing
    if is_auto_reply(mail.headers, mail.subject):
        if not mail.has_thread and any(mail.headers.first(name) for name in _LIST_HEADERS):
            return Verdict(InboundKind.OTHER)  # a list's own automatic mail (a digest), answering nothing
        return Verdict(InboundKind.AUTO_REPLY)
    return Verdict(InboundKind.REPLY if mail.has_thread else InboundKind.OTHER)


def _notified(notification: Notification) -> Verdict:
    if notification.kind == "bounce":
        bounce = Bounce(
            notification.recipient, notification.status, notification.diagnostic, notification.severity
        )
        return Verdict(InboundKind.BOUNCE, bounce=bounce, returned=notification.message_ids)
    if notification.kind == "complaint":
        found = Complaint(
            recipient=complainant(notification.recipient) if notification.recipient else None,
            feedback_type=notification.feedback_type,
            user_agent=notification.user_agent,
        )
        return Verdict(InboundKind.COMPLAINT, complaint=found, returned=notification.message_ids)
    return Verdict(InboundKind.OTHER)


def _returned(mail: Mail) -> tuple[str, ...]:
    return tuple(returned_message_ids(mail.parts, mail.text))


def _returned_to(mail: Mail, returned_copy: str) -> str | None:
    """The To of the message a report returns: whom we sent it to, the last guess at the recipient."""
    attached = returned_headers(mail.parts)
    recipients = address_list(attached.all("to")) if attached is not None else []
    if not recipients:
        recipients = address_list([returned_field(returned_copy, "to") or ""])
    return recipients[0] if recipients else None


def _plain_candidates(mail: Mail, explanation: str, returned_copy: str) -> list[str | None]:
    """Where a plain-text report names its failed recipient, most reliable first."""
    return [
        *address_list(mail.headers.all("x-failed-recipients")),
        *named_in_report(explanation),
        *address_list(ADDRESS.findall(mail.subject)),
        list_address(mail.headers),
        _returned_to(mail, returned_copy),
    ]
