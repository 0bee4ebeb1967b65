"""What one message fetched from a mailbox's INBOX is: a person's reply, an auto-reply, a bounce or
something else, with the fields that thread it to the message it answers.

Pure (bytes in, `Inbound` out, no I/O). Mail in the wild is malformed in every way a parser can meet,
so `parse` never raises: what cannot be read is left empty. The MIME structure is parsed with the
`compat32` policy, which keeps header values as raw strings: `email.policy.default` raises on some
broken headers (`Message-ID: <<<`) and builds header objects so slowly that a message of 20,000 parts
takes seconds. Only the headers that need decoding go through `policy.default`'s header classes, one
value at a time, length-capped, with a fallback. Regular expressions that could backtrack run on
bounded input only.
"""

import email
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser

from coldsend.addresses import address_key
from coldsend.mail.failures import Severity
from coldsend.mail.inbound.bodies import bodies, mime_parts
from coldsend.mail.inbound.bounces import Bounce
from coldsend.mail.inbound.classify import Mail, classify
from coldsend.mail.inbound.complaints import Complaint
from coldsend.mail.inbound.headers import (
    Headers,
    address_list,
    decoded_header,
    first_mailbox,
    header_date,
    message_id_tokens,
    one_line,
    unique,
)
from coldsend.mail.inbound.kinds import InboundKind
from coldsend.mail.inbound.quoting import new_part, preview_line

__all__ = ["Bounce", "Complaint", "Inbound", "InboundKind", "Severity", "parse"]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One inbound message. Addresses are lower-case addr-specs, message ids `<...>`; what is missing
    or unreadable is None or empty."""

    kind: InboundKind
    message_id: str | None
    from_email: str | None
    from_name: str | None
    to_emails: list[str]
    cc_emails: list[str]
    reply_to: str | None
    subject: str  # RFC 2047 decoded, on one line
    date: datetime | None  # in UTC
    in_reply_to: str | None
    references: list[str]  # in header order
    # The ids this message points at, most specific first: for a bounce the returned message's own
    # Message-ID, then (for any kind) In-Reply-To and References from last to first.
    referenced: list[str]
    text: str  # the text/plain body, or the text of the html one
    html: str
    new_text: str  # the text above the quoted message: what the sender wrote this time
    preview: str  # new_text on one line, at most 200 characters
    bounce: Bounce | None  # for kind BOUNCE only
    complaint: Complaint | None  # for kind COMPLAINT only


def parse(raw: bytes) -> Inbound:
    """The message classified and its fields read; never raises (unreadable parts come back empty)."""
    try:
        return _inbound(_read_message(_normalised_line_ends(raw)))
    except Exception:  # a last resort: the helpers below already guard what is known to raise
        return _empty_inbound()


def _empty_inbound() -> Inbound:
    return Inbound(
        kind=InboundKind.OTHER,
        message_id=None,
        from_email=None,
        from_name=None,
        to_emails=[],
        cc_emails=[],
        reply_to=None,
        subject="",
        date=None,
        in_reply_to=None,
        references=[],
        referenced=[],
        text="",
        html="",
        new_text="",
        preview="",
        bounce=None,
        complaint=None,
    )


def _normalised_line_ends(raw: bytes) -> bytes:
    """CRLF and CR-only line ends as LF: a CR-only message would otherwise be one long header line."""
    if b"\r" not in raw:
        return raw
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _read_message(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=policy.compat32)
    except Exception:  # e.g. RecursionError on absurdly nested multiparts: keep the headers at least
        pass
    try:
        return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    except Exception:
        return Message()


def _inbound(message: Message) -> Inbound:
    headers = Headers(message)
    parts = mime_parts(message)
    text, html = bodies(parts)
    subject = one_line(decoded_header(headers.first("subject")))
    from_name, from_spec = first_mailbox("from", headers.first("from")) or ("", "")
    to_emails = address_list(headers.all("to"))
    cc_emails = address_list(headers.all("cc"))
    from_email = address_key(from_spec)
    message_ids = message_id_tokens(headers.first("message-id"))
    message_id = message_ids[0] if message_ids else None
    in_reply_to = message_id_tokens(" ".join(headers.all("in-reply-to")))
    references = message_id_tokens(" ".join(headers.all("references")))
    thread = [*in_reply_to, *reversed(references)]

    own = {address for address in (from_email, *to_emails, *cc_emails) if address}
    mail = Mail(headers=headers, parts=parts, subject=subject, text=text, own=own, has_thread=bool(thread))
    verdict = classify(mail)
    if verdict.bounce is not None or verdict.complaint is not None:
        thread = [*verdict.returned, *thread]

    reply_to = first_mailbox("reply-to", headers.first("reply-to"))
    new_text = new_part(text)
    return Inbound(
        kind=verdict.kind,
        message_id=message_id,
        from_email=from_email,
        from_name=one_line(from_name) or None,
        to_emails=to_emails,
        cc_emails=cc_emails,
        reply_to=address_key(reply_to[1]) if reply_to else None,
        subject=subject,
        date=header_date(headers.first("date")),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        referenced=[id_ for id_ in unique(thread) if id_ != message_id],
        text=text,
        html=html,
        new_text=new_text,
        preview=preview_line(new_text),
        bounce=verdict.bounce,
        complaint=verdict.complaint,
    )
