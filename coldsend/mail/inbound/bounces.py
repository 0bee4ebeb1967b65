"""Bounces: what a delivery-status report (RFC 3464, RFC 6533) or a plain-text report from a mail system
says failed, and the message it returns."""

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import Message

from coldsend.mail.failures import Severity, severity
from coldsend.mail.inbound.bodies import decoded_text, mime_parts, part_type
from coldsend.mail.inbound.dsn import DELIVERY_STATUS_TYPES, action, status_of, without_type
from coldsend.mail.inbound.headers import Headers, message_id_tokens, one_line
from coldsend.mail.inbound.phrases import FAILURE, PERMANENT, RETRIES_EXHAUSTED, gave_up
from coldsend.mail.inbound.recipients import dsn_address, failed_recipient
from coldsend.mail.inbound.report import (
    MAX_EVIDENCE,
    MAX_REPORT,
    PERMANENT_REPLY,
    TEMPORARY_REPLY,
    evidence,
    lines_of,
    reply_line,
    status_code,
)

# A Message-ID field in a report's text: at a line start, or where an HTML report's text ran the returned
# headers together ("Received: ... Message-ID: <id> From: ..."); not Original-Message-ID or X-...-Message-ID.
_MESSAGE_ID_FIELD = re.compile(r"(?<![\w-])message-id:[ \t]*(?:\n[ \t]+)?(<[^<>\s]+>)", re.IGNORECASE)
_MAX_DIAGNOSTIC = 500


@dataclass(frozen=True, slots=True)
class Bounce:
    recipient: str | None  # the failed address, in `email_key` form
    status: str | None  # enhanced status code, e.g. "5.1.1"
    diagnostic: str | None  # the remote server's reply, e.g. "550 5.1.1 <a@b>: User unknown"
    severity: Severity = Severity.HARD  # soft: worth another try later (mailbox full, expired, ...)


def dsn_bounce(block: Headers, explanation: str, fallbacks: list[str | None], excluded: set[str]) -> Bounce:
    """The bounce a failed DSN block reports; the recipient from its fields, else from `fallbacks` (what
    the explanation names, the returned message's To)."""
    named = (dsn_address(block.first(name)) for name in ("final-recipient", "original-recipient"))
    recipient = next((key for key in named if key), None) or failed_recipient(fallbacks, excluded)
    diagnostic = without_type(block.first("diagnostic-code") or "") or reply_line(explanation)
    status = status_of(block, diagnostic)
    expired = action(block) == "expired"
    return Bounce(recipient, status, diagnostic, severity(status, diagnostic or explanation, expired=expired))


def plain_bounce(explanation: str, candidates: list[str | None], excluded: set[str]) -> Bounce:
    """The bounce a plain-text report makes: its first permanent reply (else, for a give-up, its last
    temporary one, else the sentence that says it failed), the status code it quotes, the recipient."""
    flat = evidence(explanation)
    permanent = reply_line(explanation)
    final = gave_up(flat)
    diagnostic = permanent or (reply_line(explanation, TEMPORARY_REPLY) if final else None)
    diagnostic = diagnostic or _failure_sentence(explanation) or flat[:_MAX_DIAGNOSTIC] or None
    status = status_code(explanation) if (permanent or final) else None
    # Given up after retrying, with no permanent reply quoted: a temporary failure unless it says otherwise.
    retried = RETRIES_EXHAUSTED.search(flat) is not None and PERMANENT.search(flat) is None
    found = severity(status, flat, expired=retried and permanent is None)
    return Bounce(failed_recipient(candidates, excluded), status, diagnostic, found)


def _failure_sentence(explanation: str) -> str | None:
    """The line that says the delivery failed, and the reason on the line after it if there is one."""
    lines = lines_of(explanation[:MAX_EVIDENCE])
    for index, line in enumerate(lines):
        if gave_up(line) or FAILURE.search(line):
            following = [text.strip() for text in lines[index + 1 : index + 3] if text.strip()]
            words = one_line(" ".join([line, *following[:1]]))
            return words[:_MAX_DIAGNOSTIC] or None
    return None


def has_permanent_reply(explanation: str) -> bool:
    return PERMANENT_REPLY.search(explanation) is not None


def returned_headers(parts: list[Message]) -> Headers | None:
    """The headers of the message a report returns (attached whole or as text/rfc822-headers)."""
    for part in parts[1:]:
        content_type = part_type(part)
        if content_type == "text/rfc822-headers":
            text = decoded_text(part).lstrip()[:MAX_REPORT]
            return Headers(email.message_from_string(text, policy=policy.compat32))
        if content_type in ("message/rfc822", "message/global", "message/global-headers"):
            payload = part.get_payload()
            attached = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(attached, Message):
                return Headers(attached)
    return None


def returned_message_ids(parts: list[Message], text: str, *, wrapped: bool = True) -> list[str]:
    """Message-IDs of the message a bounce returns: from its attached headers or message (inside a report
    a gateway attached whole, first), and for a plain-text bounce (no delivery-status part) from a
    `Message-ID:` field in the text."""
    found: list[str] = []
    dsn = False
    for part in parts[1:]:
        content_type = part_type(part)
        if content_type == "text/rfc822-headers":
            found += _MESSAGE_ID_FIELD.findall(decoded_text(part))[:1]
        elif content_type in DELIVERY_STATUS_TYPES:
            dsn = True
        elif content_type.startswith("message/"):
            payload = part.get_payload()
            attached = payload if isinstance(payload, list) else []
            for message in attached:
                if not isinstance(message, Message):
                    continue
                if wrapped and part_type(message) == "multipart/report":
                    found += returned_message_ids(mime_parts(message), "", wrapped=False)
                found += message_id_tokens(Headers(message).first("message-id"))[:1]
    if not dsn:
        found += _MESSAGE_ID_FIELD.findall(text[:MAX_REPORT])
    return found
