"""The MIME parts of an inbound message and its text and html bodies."""

from email.message import Message

from coldsend.mail.html_text import html_to_text
from coldsend.mail.inbound.headers import clean_text

_MAX_PARTS = 500
_MAX_HTML_TO_TEXT = 524_288  # html_to_text takes ~1 s a megabyte
_MAX_REPORT_TEXTS = 131_072


def part_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def mime_parts(message: Message) -> list[Message]:
    """The message and its MIME parts in order, without descending into attached messages."""
    found: list[Message] = []
    pending = [message]
    while pending and len(found) < _MAX_PARTS:
        part = pending.pop()
        found.append(part)
        if part_type(part).startswith("multipart/") and part.is_multipart():
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


def decoded_text(part: Message) -> str:
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
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n")


def _is_plain(part: Message) -> bool:
    """A text/plain part, or a multipart whose boundary never appears: `email` keeps its body as text."""
    content_type = part_type(part)
    return content_type == "text/plain" or (
        content_type.startswith("multipart/") and isinstance(part.get_payload(), str)
    )


def report_texts(parts: list[Message]) -> str:
    """The text of every text/plain part, attachments included, where a report may have put its fields."""
    texts: list[str] = []
    size = 0
    for part in parts:
        if part.is_multipart() or not _is_plain(part) or size > _MAX_REPORT_TEXTS:
            continue
        texts.append(decoded_text(part)[:_MAX_REPORT_TEXTS])
        size += len(texts[-1])
    return "\n\n".join(texts)


def bodies(parts: list[Message]) -> tuple[str, str]:
    """(text, html): the first inline text/plain part (else the html one as text) and text/html part."""
    plain: str | None = None
    html: str | None = None
    for part in parts:
        if part.is_multipart() or _is_attachment(part):
            continue
        content_type = part_type(part)
        if _is_plain(part) and plain is None:
            plain = decoded_text(part)
        elif content_type == "text/html" and html is None:
            html = decoded_text(part)
    html = html or ""
    if plain is not None and plain.strip():
        return plain.strip(), html
    return _html_as_text(html), html


def _html_as_text(html: str) -> str:
    try:
        return html_to_text(html[:_MAX_HTML_TO_TEXT])
    except Exception:
        return ""
