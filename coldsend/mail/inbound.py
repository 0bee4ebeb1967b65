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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import AddressHeader
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum

from coldsend.addresses import email_key
from coldsend.mail.html_text import html_to_text

_MAX_DECODED_HEADER = 16_384
# `policy.default` parses a mailbox in time quadratic in its length (~1 s for 8 KB of quotes);
# one mailbox never needs more than this.
_MAX_MAILBOX_HEADER = 2_048
_MAX_ADDRESS_LIST = 65_536
_MAX_PARTS = 500
_MAX_HTML_TO_TEXT = 524_288  # html_to_text takes ~1 s a megabyte
_MAX_BOUNCE_REPORT = 65_536  # a bounce explains itself in its first few KB
_MAX_SCANNED_LINE = 1_000  # lines longer than this are no attribution, and no bounce recipient line
_PREVIEW_LENGTH = 200

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_NOT_IN_BARE_MESSAGE_ID = frozenset('<>"(),;:[]\\')
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

_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_SUPPRESS_OOF = re.compile(r"\b(?:oof|all)\b", re.IGNORECASE)
_AUTO_REPLY_SUBJECT = re.compile(
    r"(?:(?:re|aw)\s*:\s*)*"
    r"(?:auto\s*:|automatic reply|auto[- ]?reply|out of (?:the )?office|abwesenheitsnotiz"
    r"|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica"
    r"|automatisch antwoord)",
    re.IGNORECASE,
)
_OUT_OF_OFFICE_SUBJECT = re.compile(
    r"out of (?:the )?office|\boo[of]\b|away from|vacation|holiday|on leave|absen|abwesen|urlaub|ausente"
    r"|automatic reply|auto[- ]?repl|auto[- ]?respon|automatische antwort|r[ée]ponse automatique"
    r"|respuesta autom[áa]tica|risposta automatica|automatisch antwoord",
    re.IGNORECASE,
)

_ATTRIBUTION = re.compile(
    r"(?:on|am|le|el|il|op)\s.*\b(?:wrote|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef)\b[^:]*:",
    re.IGNORECASE,
)
_ATTRIBUTION_LINES = 3  # Gmail wraps a long "On <date>, <name> <address> wrote:" over lines
_ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\*?(?:from|von|de)\s?:", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet)\s?:", re.IGNORECASE
)
_OUTLOOK_FIELD_LINES = 4
_SEPARATOR_LINE = re.compile(r"^_{5,}$")


class InboundKind(StrEnum):
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Bounce:
    recipient: str | None  # the failed address, in `email_key` form
    status: str | None  # enhanced status code, e.g. "5.1.1"
    diagnostic: str | None  # the remote server's reply, e.g. "550 5.1.1 <a@b>: User unknown"


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


def parse(raw: bytes) -> Inbound:
    """The message classified and its fields read; never raises (unreadable parts come back empty)."""
    try:
        return _inbound(_read_message(raw))
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
    )


def _read_message(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=policy.compat32)
    except Exception:  # e.g. RecursionError on absurdly nested multiparts: keep the headers at least
        pass
    try:
        return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    except Exception:
        return Message()


# --- text clean-up -------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text safe to store: undecodable bytes (surrogate escapes) as UTF-8 or U+FFFD, no NUL."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --- headers -------------------------------------------------------------------------------------------


class _Headers:
    """A message's (or a delivery-status block's) raw header values by lower-case name, unfolded."""

    def __init__(self, message: Message) -> None:
        self._values: dict[str, list[str]] = {}
        try:
            items = list(message.raw_items())
        except Exception:
            items = []
        for name, value in items:
            unfolded = re.sub(r"[\r\n]+", "", _clean(str(value)))
            self._values.setdefault(str(name).strip().lower(), []).append(unfolded)

    def first(self, name: str) -> str | None:
        values = self._values.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def names(self) -> set[str]:
        return set(self._values)


def _decoded(raw: str | None) -> str:
    """A header value read as unstructured text, RFC 2047 encoded words decoded."""
    if not raw:
        return ""
    value = raw[:_MAX_DECODED_HEADER]
    try:
        return _clean(str(policy.default.header_factory("subject", value)))
    except Exception:
        pass
    try:
        return _clean(str(make_header(decode_header(value))))
    except Exception:
        return value


def _mailbox(name: str, raw: str | None) -> tuple[str, str] | None:
    """(display name, addr-spec) of the first address in a From or Reply-To header."""
    if not raw:
        return None
    value = raw[:_MAX_MAILBOX_HEADER]
    try:
        header = policy.default.header_factory(name, value)
        if isinstance(header, AddressHeader) and header.addresses:
            address = header.addresses[0]
            return _clean(address.display_name), _clean(address.addr_spec)
    except Exception:
        pass
    pairs = _address_pairs(value)
    return (_decoded(pairs[0][0]), pairs[0][1]) if pairs else None


def _address_pairs(value: str) -> list[tuple[str, str]]:
    """`email.utils.getaddresses`, linear where `policy.default` is quadratic, for address lists."""
    try:
        return [(_clean(name), _clean(spec)) for name, spec in getaddresses([value])]
    except Exception:  # RecursionError on deeply nested comments
        return []


def _address_list(raws: list[str]) -> list[str]:
    """The addresses of all the headers of one name (To, Cc), in the `_address_key` form."""
    value = ", ".join(raws)[:_MAX_ADDRESS_LIST]
    keys = (_address_key(spec) for _, spec in _address_pairs(value))
    return _unique(key for key in keys if key)


def _address_key(address: str) -> str | None:
    """The lower-case `local@domain` form of an address, or None if it is not one."""
    address = address.strip().strip("<>")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        return None
    return email_key(address)[0]


def _message_ids(value: str | None) -> list[str]:
    """The `<id>` tokens of a Message-ID / In-Reply-To / References value; bare `id@host` ones bracketed."""
    if not value:
        return []
    bracketed = [f"<{token}>" for token in _MESSAGE_ID.findall(value)]
    if bracketed or "<" in value:
        return bracketed
    tokens = value.replace(",", " ").split()
    return [
        f"<{token}>" for token in tokens if "@" in token[1:-1] and not set(token) & _NOT_IN_BARE_MESSAGE_ID
    ]


def _date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw.strip())
        if parsed.tzinfo is None:  # "-0000": the zone is unknown, the time is UTC (RFC 5322 3.3)
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except Exception:
        return None


def _first_word(value: str | None) -> str:
    """A field's keyword without parameters or comments: `auto-replied; x=y (z)` -> `auto-replied`."""
    return re.split(r"[;(\s]", (value or "").strip(), maxsplit=1)[0].lower()


# --- MIME structure and bodies -------------------------------------------------------------------------


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _parts(message: Message) -> list[Message]:
    """The message and its MIME parts in order, without descending into attached messages."""
    found: list[Message] = []
    pending = [message]
    while pending and len(found) < _MAX_PARTS:
        part = pending.pop()
        found.append(part)
        if _content_type(part).startswith("multipart/") and part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                pending.extend(reversed([child for child in children if isinstance(child, Message)]))
    return found


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:
        return False


def _charset(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    # Mail declared ASCII is often UTF-8 in fact; UTF-8 reads real ASCII the same.
    return "utf-8" if charset in (None, "us-ascii", "ascii") else str(charset)


def _decoded_text(part: Message) -> str:
    """A leaf part's content as text with `\\n` line ends: transfer-decoded, then charset-decoded."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if not isinstance(payload, bytes):
        return ""
    try:
        text = payload.decode(_charset(part), errors="replace")
    except Exception:  # unknown charset, or a codec that is not a text encoding
        text = payload.decode("utf-8", errors="replace")
    return _clean(text).replace("\r\n", "\n").replace("\r", "\n")


def _bodies(parts: list[Message]) -> tuple[str, str]:
    """(text, html): the first inline text/plain part (else the html one as text) and text/html part."""
    plain: str | None = None
    html: str | None = None
    for part in parts:
        if part.is_multipart() or _is_attachment(part):
            continue
        content_type = _content_type(part)
        if content_type == "text/plain" and plain is None:
            plain = _decoded_text(part)
        elif content_type == "text/html" and html is None:
            html = _decoded_text(part)
    html = html or ""
    if plain is not None and plain.strip():
        return plain.strip(), html
    return _html_as_text(html), html


def _html_as_text(html: str) -> str:
    try:
        return html_to_text(html[:_MAX_HTML_TO_TEXT])
    except Exception:
        return ""


# --- preview -------------------------------------------------------------------------------------------


def _new_part(text: str) -> str:
    """The new part of a reply: the lines above the quoted message (and the rule Outlook draws above
    its header block), trimmed."""
    raw_lines = text.split("\n")
    lines = [line.strip() for line in raw_lines]
    end = next((index for index in range(len(lines)) if _starts_quote(lines, index)), len(lines))
    while end and (not lines[end - 1] or _SEPARATOR_LINE.match(lines[end - 1])):
        end -= 1
    return "\n".join(raw_lines[:end]).strip()


def _preview(new_part: str) -> str:
    """The new part on one line, at most 200 characters."""
    return _one_line(new_part[: _PREVIEW_LENGTH * 4])[:_PREVIEW_LENGTH].rstrip()


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line.startswith(">") or line.lower().endswith("wrote:") or _ORIGINAL_MESSAGE.match(line):
        return True
    return _is_attribution(lines, index) or _is_outlook_header_block(lines, index)


def _is_attribution(lines: list[str], index: int) -> bool:
    following = lines[index : index + _ATTRIBUTION_LINES]
    for count in range(1, len(following) + 1):
        candidate = " ".join(following[:count])
        if len(candidate) > _MAX_SCANNED_LINE:
            return False
        if _ATTRIBUTION.fullmatch(candidate):
            return True
    return False


def _is_outlook_header_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    following = lines[index + 1 : index + 1 + _OUTLOOK_FIELD_LINES]
    return any(_OUTLOOK_FIELD.match(line) for line in following)


# --- bounces -------------------------------------------------------------------------------------------


def _delivery_status_blocks(parts: list[Message]) -> list[_Headers] | None:
    """The per-recipient blocks of the first delivery-status part, or None if there is none."""
    for part in parts:
        content_type = _content_type(part)
        if content_type not in _DELIVERY_STATUS_TYPES:
            continue
        blocks = _field_blocks(part)
        recipients = [block for block in blocks if block.names() & _RECIPIENT_FIELDS]
        return recipients or None
    return None


def _field_blocks(part: Message) -> list[_Headers]:
    """The field blocks of a delivery-status part, which `email` parses into header-only sub-messages.

    `message/global-delivery-status` (RFC 6533) is parsed as one message instead: the per-message
    fields are its headers and the recipient blocks its body.
    """
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    blocks = [_Headers(block) for block in payload if isinstance(block, Message)]
    if _content_type(part) == "message/global-delivery-status" and payload:
        body = payload[0].get_payload() if isinstance(payload[0], Message) else None
        if isinstance(body, str):
            chunks = re.split(r"\n[ \t]*\n", body.replace("\r\n", "\n"))
            blocks += [_Headers(email.message_from_string(chunk, policy=policy.compat32)) for chunk in chunks]
    return blocks


def _is_failure(block: _Headers) -> bool:
    action = _first_word(block.first("action"))
    if action == "failed":
        return True
    status = _ENHANCED_STATUS.search(block.first("status") or "")
    return action not in _NOT_FAILED_ACTIONS and status is not None and status.group().startswith("5")


def _without_type(value: str) -> str:
    """A DSN field value without its type: `rfc822; a@b` -> `a@b`, `smtp; 550 ...` -> `550 ...`."""
    return _one_line(_DSN_TYPE_PREFIX.sub("", value, count=1))


def _dsn_bounce(block: _Headers, report_text: str) -> Bounce:
    recipient_field = block.first("final-recipient") or block.first("original-recipient") or ""
    recipient_words = _without_type(recipient_field).split()
    recipient = _address_key(recipient_words[0]) if recipient_words else None
    diagnostic = _without_type(block.first("diagnostic-code") or "") or _smtp_reply_line(report_text)
    status = _ENHANCED_STATUS.search(block.first("status") or "") or _ENHANCED_STATUS.search(diagnostic or "")
    return Bounce(recipient=recipient, status=status.group() if status else None, diagnostic=diagnostic)


def _report_section(text: str) -> str:
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
    return _one_line(report[failure.start() : line_end if line_end >= 0 else len(report)])


def _failed_address(report: str, own: set[str]) -> str | None:
    """The failed recipient a plain-text bounce names: a qmail `<address>:` line, the first address
    after an Exim/sendmail/Exchange "the following address(es) failed" line, or one near the SMTP code."""
    candidates: list[str] = [match.group(1) for match in _QMAIL_RECIPIENT.finditer(report)]
    lines = [line[:_MAX_SCANNED_LINE] for line in report.split("\n")]
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
    keys = (_address_key(candidate) for candidate in candidates)
    return next((key for key in keys if key and key not in own), None)


def _is_from_mail_system(headers: _Headers) -> bool:
    return _MAIL_SYSTEM_SENDER.search(_decoded(headers.first("from"))) is not None


def _plain_bounce(
    headers: _Headers, subject: str, text: str, own: set[str], *, from_mail_system: bool
) -> Bounce | None:
    """A bounce without a DSN report: sent by a mail system or titled as a bounce, naming a permanent
    SMTP failure."""
    if not from_mail_system and _BOUNCE_SUBJECT.search(subject) is None:
        return None
    report = _report_section(text)
    diagnostic = _smtp_reply_line(report)
    if diagnostic is None:
        return None
    status = _PERMANENT_STATUS.search(report)
    failed_header = _address_list(headers.all("x-failed-recipients"))  # set by Exim
    recipient = _failed_address(report, own) or (failed_header[0] if failed_header else None)
    return Bounce(recipient=recipient, status=status.group() if status else None, diagnostic=diagnostic)


def _returned_message_ids(parts: list[Message], text: str) -> list[str]:
    """Message-IDs of the message a bounce returns: from its attached headers or message, and for a
    plain-text bounce (no delivery-status part) from a `Message-ID:` line in the text."""
    found: list[str] = []
    dsn = False
    for part in parts[1:]:
        content_type = _content_type(part)
        if content_type == "text/rfc822-headers":
            found += _MESSAGE_ID_LINE.findall(_decoded_text(part))
        elif content_type in _DELIVERY_STATUS_TYPES:
            dsn = True
        elif content_type.startswith("message/"):
            payload = part.get_payload()
            attached = payload if isinstance(payload, list) else []
            for message in attached:
                if isinstance(message, Message):
                    found += _message_ids(_Headers(message).first("message-id"))[:1]
    if not dsn:
        found += _MESSAGE_ID_LINE.findall(text)
    return found


# --- classification ------------------------------------------------------------------------------------


def _is_auto_reply(headers: _Headers, subject: str) -> bool:
    auto_submitted = _first_word(headers.first("auto-submitted"))
    if auto_submitted and auto_submitted != "no":
        return True
    if any(headers.first(name) is not None for name in _AUTO_REPLY_HEADERS):
        return True
    if _first_word(headers.first("precedence")) == "auto_reply":
        return True
    suppress = headers.first("x-auto-response-suppress") or ""
    if _SUPPRESS_OOF.search(suppress) and _OUT_OF_OFFICE_SUBJECT.search(subject):
        return True
    return _AUTO_REPLY_SUBJECT.match(subject) is not None


def _is_report(parts: list[Message]) -> bool:
    """A machine-written report (delivery status, read receipt, abuse feedback): never a person's reply."""
    return _content_type(parts[0]) == "multipart/report" or any(
        _content_type(part) == "message/disposition-notification" for part in parts
    )


def _inbound(message: Message) -> Inbound:
    headers = _Headers(message)
    parts = _parts(message)
    text, html = _bodies(parts)
    subject = _one_line(_decoded(headers.first("subject")))
    from_name, from_spec = _mailbox("from", headers.first("from")) or ("", "")
    to_emails = _address_list(headers.all("to"))
    cc_emails = _address_list(headers.all("cc"))
    from_email = _address_key(from_spec)
    message_ids = _message_ids(headers.first("message-id"))
    message_id = message_ids[0] if message_ids else None
    in_reply_to = _message_ids(" ".join(headers.all("in-reply-to")))
    references = _message_ids(" ".join(headers.all("references")))
    thread = [*in_reply_to, *reversed(references)]

    own = {address for address in (from_email, *to_emails, *cc_emails) if address}
    kind, bounce = _classify(headers, parts, subject, text, own, has_thread=bool(thread))
    if bounce is not None:
        thread = [*_returned_message_ids(parts, text), *thread]

    reply_to = _mailbox("reply-to", headers.first("reply-to"))
    new_text = _new_part(text)
    return Inbound(
        kind=kind,
        message_id=message_id,
        from_email=from_email,
        from_name=_one_line(from_name) or None,
        to_emails=to_emails,
        cc_emails=cc_emails,
        reply_to=_address_key(reply_to[1]) if reply_to else None,
        subject=subject,
        date=_date(headers.first("date")),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        referenced=[id_ for id_ in _unique(thread) if id_ != message_id],
        text=text,
        html=html,
        new_text=new_text,
        preview=_preview(new_text),
        bounce=bounce,
    )


def _classify(
    headers: _Headers, parts: list[Message], subject: str, text: str, own: set[str], *, has_thread: bool
) -> tuple[InboundKind, Bounce | None]:
    blocks = _delivery_status_blocks(parts)
    if blocks is not None:
        failed = next((block for block in blocks if _is_failure(block)), None)
        if failed is None:  # delayed, relayed, delivered: a notice, not a bounce
            return InboundKind.OTHER, None
        return InboundKind.BOUNCE, _dsn_bounce(failed, _report_section(text))
    from_mail_system = _is_from_mail_system(headers)
    bounce = _plain_bounce(headers, subject, text, own, from_mail_system=from_mail_system)
    if bounce is not None:
        return InboundKind.BOUNCE, bounce
    if from_mail_system or _is_report(parts):  # delay warnings, receipts: not a person writing
        return InboundKind.OTHER, None
    if _is_auto_reply(headers, subject):
        return InboundKind.AUTO_REPLY, None
    return (InboundKind.REPLY if has_thread else InboundKind.OTHER), None
