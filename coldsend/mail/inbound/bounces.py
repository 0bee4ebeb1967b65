"""Bounces: delivery-status reports (RFC 3464, RFC 6533) and the plain-text ones mail systems send."""

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import Message

from coldsend.addresses import address_key
from coldsend.mail.failures import Severity, severity
from coldsend.mail.inbound.bodies import decoded_text, part_type
from coldsend.mail.inbound.headers import (
    MAX_SCANNED_LINE,
    Headers,
    address_list,
    decoded_header,
    first_word,
    message_id_tokens,
    one_line,
)

_MAX_BOUNCE_REPORT = 65_536  # a bounce explains itself in its first few KB
_MESSAGE_ID_LINE = re.compile(
    r"^[ \t>]*message-id:[ \t]*(?:\n[ \t]+)?(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_DSN_TYPE_PREFIX = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9.+-]*\s*;\s*")
_ENHANCED_STATUS = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)")
_PERMANENT_STATUS = re.compile(r"(?<![\w.])5\.\d{1,3}\.\d{1,3}(?!\.?\d)")
# A permanent SMTP failure: a 5yz reply code or a 5.x.x enhanced status code.
_SMTP_FAILURE = re.compile(r"(?<![\w.])(?:5[0-5]\d(?=[ \t:-]|$)|5\.\d{1,3}\.\d{1,3}(?!\.?\d))", re.MULTILINE)
_MAIL_SYSTEM_SENDER = re.compile(
    r"mailer[-_]?daemon|postmaster|mail delivery (?:sub)?system|mail delivery service", re.IGNORECASE
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification \(failure\)|mail delivery failed|failure notice|returned mail"
    r"|delivery failure|delivery has failed|non remis|unzustellbar|no se puede entregar|non recapitabile"
    r"|onbestelbaar",
    re.IGNORECASE,
)
# Where a plain-text bounce stops explaining and starts quoting the returned message.
_RETURNED_HEADER = re.compile(
    r"(?:return-path|received|message-id|dkim-signature|mime-version|from|to|subject|date)[ \t]*:",
    re.IGNORECASE,
)
_RETURNED_MESSAGE_SEPARATORS = ("copy of the message", "below this line", "original message")
_QMAIL_RECIPIENT = re.compile(r"^[ \t]*<([^<>\s@]+@[^<>\s]+)>:", re.MULTILINE)
_FAILED_LIST_INTRO = re.compile(
    r"following (?:address|recipient)|these recipients|could not be delivered to", re.IGNORECASE
)
_RECIPIENT_SEARCH_LINES = 5
_NOT_FAILED_ACTIONS = frozenset({"delayed", "delivered", "relayed", "expanded"})
_DELIVERY_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_RECIPIENT_FIELDS = frozenset({"final-recipient", "original-recipient", "action", "status"})


@dataclass(frozen=True, slots=True)
class Bounce:
    recipient: str | None  # the failed address, in `email_key` form
    status: str | None  # enhanced status code, e.g. "5.1.1"
    diagnostic: str | None  # the remote server's reply, e.g. "550 5.1.1 <a@b>: User unknown"
    severity: Severity = Severity.HARD  # soft: worth another try later (mailbox full, expired, ...)


def delivery_status_blocks(parts: list[Message]) -> list[Headers] | None:
    """The per-recipient blocks of the first delivery-status part, or None if there is none."""
    for part in parts:
        content_type = part_type(part)
        if content_type not in _DELIVERY_STATUS_TYPES:
            continue
        blocks = _field_blocks(part)
        recipients = [block for block in blocks if block.names() & _RECIPIENT_FIELDS]
        return recipients or None
    return None


def _field_blocks(part: Message) -> list[Headers]:
    """The field blocks of a delivery-status part, which `email` parses into header-only sub-messages.

    `message/global-delivery-status` (RFC 6533) is parsed as one message instead: the per-message
    fields are its headers and the recipient blocks its body.
    """
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    blocks = [Headers(block) for block in payload if isinstance(block, Message)]
    if part_type(part) == "message/global-delivery-status" and payload:
        body = payload[0].get_payload() if isinstance(payload[0], Message) else None
        if isinstance(body, str):
            chunks = re.split(r"\n[ \t]*\n", body.replace("\r\n", "\n"))
            blocks += [Headers(email.message_from_string(chunk, policy=policy.compat32)) for chunk in chunks]
    return blocks


def is_failure(block: Headers) -> bool:
    action = first_word(block.first("action"))
    if action in ("failed", "expired"):  # expired: a final give-up on a temporary failure (RFC 3464 2.3.3)
        return True
    status = _ENHANCED_STATUS.search(block.first("status") or "")
    return action not in _NOT_FAILED_ACTIONS and status is not None and status.group().startswith("5")


def _without_type(value: str) -> str:
    """A DSN field value without its type: `rfc822; a@b` -> `a@b`, `smtp; 550 ...` -> `550 ...`."""
    return one_line(_DSN_TYPE_PREFIX.sub("", value, count=1))


def dsn_bounce(block: Headers, report_text: str) -> Bounce:
    recipient_field = block.first("final-recipient") or block.first("original-recipient") or ""
    recipient_words = _without_type(recipient_field).split()
    recipient = address_key(recipient_words[0]) if recipient_words else None
    diagnostic = _without_type(block.first("diagnostic-code") or "") or _smtp_reply_line(report_text)
    status = _ENHANCED_STATUS.search(block.first("status") or "") or _ENHANCED_STATUS.search(diagnostic or "")
    found = status.group() if status else None
    expired = first_word(block.first("action")) == "expired"
    return Bounce(recipient, found, diagnostic, severity(found, diagnostic, expired=expired))


def report_section(text: str) -> str:
    """A plain-text bounce's explanation, without the returned message that often follows it."""
    report: list[str] = []
    for line in text[:_MAX_BOUNCE_REPORT].split("\n"):
        if _RETURNED_HEADER.match(line) or _is_returned_message_separator(line):
            break
        report.append(line)
    return "\n".join(report)


def _is_returned_message_separator(line: str) -> bool:
    """`------ This is a copy of the message, including all the headers. ------` and the like."""
    lowered = line.strip().lower()
    return lowered.startswith("--") and any(phrase in lowered for phrase in _RETURNED_MESSAGE_SEPARATORS)


def _smtp_reply_line(report: str) -> str | None:
    """The first permanent-failure SMTP reply in a bounce's text, from its code to the end of its line."""
    failure = _SMTP_FAILURE.search(report)
    if failure is None:
        return None
    line_end = report.find("\n", failure.start())
    return one_line(report[failure.start() : line_end if line_end >= 0 else len(report)])


def _failed_address(report: str, own: set[str]) -> str | None:
    """The failed recipient a plain-text bounce names: a qmail `<address>:` line, the first address
    after an Exim/sendmail/Exchange "the following address(es) failed" line, or one near the SMTP code."""
    candidates: list[str] = [match.group(1) for match in _QMAIL_RECIPIENT.finditer(report)]
    lines = [line[:MAX_SCANNED_LINE] for line in report.split("\n")]
    for index, line in enumerate(lines):
        if _FAILED_LIST_INTRO.search(line):
            following = "\n".join(lines[index + 1 : index + 1 + _RECIPIENT_SEARCH_LINES])
            candidates += _ADDRESS.findall(following)
            break
    failure = _SMTP_FAILURE.search(report)
    if failure is not None:
        line_number = report.count("\n", 0, failure.start())
        near = lines[max(0, line_number - 3) : line_number + 1]
        candidates += _ADDRESS.findall("\n".join(reversed(near)))
    keys = (address_key(candidate) for candidate in candidates)
    return next((key for key in keys if key and key not in own), None)


def is_from_mail_system(headers: Headers) -> bool:
    return _MAIL_SYSTEM_SENDER.search(decoded_header(headers.first("from"))) is not None


def plain_bounce(
    headers: Headers, subject: str, text: str, own: set[str], *, from_mail_system: bool
) -> Bounce | None:
    """A bounce without a DSN report: sent by a mail system or titled as a bounce, naming a permanent
    SMTP failure."""
    if not from_mail_system and _BOUNCE_SUBJECT.search(subject) is None:
        return None
    report = report_section(text)
    diagnostic = _smtp_reply_line(report)
    if diagnostic is None:
        return None
    status = _PERMANENT_STATUS.search(report)
    failed_header = address_list(headers.all("x-failed-recipients"))  # set by Exim
    recipient = _failed_address(report, own) or (failed_header[0] if failed_header else None)
    found = status.group() if status else None
    return Bounce(recipient, found, diagnostic, severity(found, report))


def returned_headers(parts: list[Message]) -> Headers | None:
    """The headers of the message a report returns (attached whole or as text/rfc822-headers)."""
    for part in parts[1:]:
        content_type = part_type(part)
        if content_type == "text/rfc822-headers":
            return Headers(email.message_from_string(decoded_text(part).lstrip(), policy=policy.compat32))
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            attached = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(attached, Message):
                return Headers(attached)
    return None


def returned_message_ids(parts: list[Message], text: str) -> list[str]:
    """Message-IDs of the message a bounce returns: from its attached headers or message, and for a
    plain-text bounce (no delivery-status part) from a `Message-ID:` line in the text."""
    found: list[str] = []
    dsn = False
    for part in parts[1:]:
        content_type = part_type(part)
        if content_type == "text/rfc822-headers":
            found += _MESSAGE_ID_LINE.findall(decoded_text(part))
        elif content_type in _DELIVERY_STATUS_TYPES:
            dsn = True
        elif content_type.startswith("message/"):
            payload = part.get_payload()
            attached = payload if isinstance(payload, list) else []
            for message in attached:
                if isinstance(message, Message):
                    found += message_id_tokens(Headers(message).first("message-id"))[:1]
    if not dsn:
        found += _MESSAGE_ID_LINE.findall(text)
    return found
