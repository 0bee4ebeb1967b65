"""Delivery status notifications (RFC 3464, RFC 6533): their per-recipient field blocks, read from a
`message/delivery-status` part, or from the text when the MIME structure is broken (a boundary that never
appears, the report in a part labelled text/plain)."""

import re
from email.message import Message

from coldsend.mail.inbound.bodies import mime_parts, part_type
from coldsend.mail.inbound.headers import Headers, clean_text, first_word, one_line
from coldsend.mail.inbound.report import ENHANCED_STATUS, PERMANENT_REPLY, lines_of

DELIVERY_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_RECIPIENT_FIELDS = frozenset({"final-recipient", "original-recipient", "action", "status"})
_FAILED_ACTIONS = frozenset({"failed", "failure", "expired"})
_NOT_FAILED_ACTIONS = frozenset({"delayed", "delivered", "relayed", "expanded"})
_DSN_TYPE_PREFIX = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9.+-]*\s*;\s*")
# The fields of a per-recipient block, as a report written out as text has them.
_TEXT_FIELD = re.compile(
    r"(final-recipient|original-recipient|x-actual-recipient|action|status|diagnostic-code|remote-mta"
    r"|last-attempt-date|will-retry-until)[ \t]*:[ \t]*(.*)",
    re.IGNORECASE,
)


def delivery_status_blocks(parts: list[Message]) -> list[Headers] | None:
    """The per-recipient blocks of the first delivery-status part, or None if there is none."""
    for part in parts:
        if part_type(part) not in DELIVERY_STATUS_TYPES:
            continue
        recipients = [block for block in _field_blocks(part) if block.names() & _RECIPIENT_FIELDS]
        return recipients or None
    return None


def attached_delivery_status_blocks(parts: list[Message]) -> list[Headers] | None:
    """The blocks of a delivery-status report attached whole (a gateway passing on the report it got)."""
    for part in parts[1:]:
        if part_type(part) not in ("message/rfc822", "message/global"):
            continue
        payload = part.get_payload()
        attached = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(attached, Message):
            blocks = delivery_status_blocks(mime_parts(attached))
            if blocks is not None:
                return blocks
    return None


def _field_blocks(part: Message) -> list[Headers]:
    """The field blocks of a delivery-status part, which `email` parses into header-only sub-messages.

    `message/global-delivery-status` (RFC 6533) is parsed as one message instead: the per-message
    fields are its headers and the recipient blocks its body, in UTF-8.
    """
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    blocks = [Headers(block) for block in payload if isinstance(block, Message)]
    if part_type(part) == "message/global-delivery-status" and payload and isinstance(payload[0], Message):
        try:
            body = payload[0].get_payload(decode=True)
        except Exception:
            body = None
        if isinstance(body, bytes):
            blocks += text_blocks(clean_text(body.decode("utf-8", "replace")))
    return blocks


def text_blocks(text: str) -> list[Headers]:
    """The per-recipient blocks of a report written out as text: runs of lines with DSN fields, split at
    blank lines and where a field comes again."""
    blocks: list[Message] = []
    current: Message | None = None
    for line in lines_of(text):
        field = _TEXT_FIELD.match(line.strip())
        if field is None:
            if current is not None and line[:1] in (" ", "\t") and line.strip() and current.keys():
                name = current.keys()[-1]
                value = current.get_all(name, [])[-1]
                del current[name]
                current[name] = f"{value} {line.strip()}"
            elif not line.strip():
                current = None
            continue
        name, value = field.group(1).lower(), field.group(2).strip()
        if current is None or name in current:  # a field seen twice starts the next recipient's block
            current = Message()
            blocks.append(current)
        current[name] = value
    found = [Headers(block) for block in blocks]
    return [block for block in found if block.names() & {"final-recipient", "original-recipient"}]


def action(block: Headers) -> str:
    return first_word(block.first("action")).rstrip(".")


def is_failure(block: Headers) -> bool:
    """A block that says its recipient failed: Action failed or expired, or no Action (or an unknown one)
    with a permanent status or reply."""
    found = action(block)
    if found in _FAILED_ACTIONS:
        return True
    if found in _NOT_FAILED_ACTIONS:
        return False
    status = ENHANCED_STATUS.search(block.first("status") or "")
    if status is not None:
        return status.group().startswith("5")
    return PERMANENT_REPLY.search(without_type(block.first("diagnostic-code") or "")) is not None


def is_delay(block: Headers) -> bool:
    return action(block) == "delayed"


def without_type(value: str) -> str:
    """A DSN field value without its type: `rfc822; a@b` -> `a@b`, `smtp; 550 ...` -> `550 ...`."""
    return one_line(_DSN_TYPE_PREFIX.sub("", value, count=1))


def status_of(block: Headers, diagnostic: str | None) -> str | None:
    """The block's enhanced status code, else the one its diagnostic quotes."""
    found = ENHANCED_STATUS.search(block.first("status") or "") or ENHANCED_STATUS.search(diagnostic or "")
    return found.group() if found else None
