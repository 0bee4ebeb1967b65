"""The RFC 5322 bytes of one outgoing email: MIME parts, threading, unsubscribe headers, tracking, DKIM."""

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape, unescape

import dkim  # type: ignore[import-untyped,unused-ignore]
from cryptography.hazmat.primitives import serialization

from coldsend.addresses import domain_key
from coldsend.ids import new_id
from coldsend.mail import mime

# Headers the DKIM signature covers (when present); List-Unsubscribe(-Post) must be signed for RFC 8058.
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"cc",
    b"reply-to",
    b"subject",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)
_HREF = re.compile(r"""(<a\s(?:[^>]*?\s)?href\s*=\s*)("([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DkimKey:
    domain: str
    selector: str
    private_key_pem: str

    def dns_txt(self) -> str:
        """The TXT record to publish at `<selector>._domainkey.<domain>`."""
        key = serialization.load_pem_private_key(self.private_key_pem.encode(), password=None)
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


class DkimError(ValueError):
    """The DKIM key cannot sign (malformed PEM, unsupported key): the account's setup, not the lead's."""


@dataclass
class OutgoingMessage:
    """Everything one email needs. `text_only` sends the text part alone, without pixel or link tracking;
    `bcc` goes into the SMTP envelope only (the transport's business), never into a header."""

    message_id: str
    date: datetime
    from_email: str
    from_name: str
    to_email: str
    subject: str
    html: str
    text: str
    text_only: bool = False
    reply_to: str | None = None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)  # envelope only, never a header
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    unsubscribe_url: str | None = None
    one_click_unsubscribe: bool = False
    open_pixel_url: str | None = None
    click_url: Callable[[str], str] | None = None
    dkim: DkimKey | None = None
    unsubscribe_mailto: str | None = None  # an address; the header gets `mailto:<it>?subject=unsubscribe`
    to_others: list[str] = field(default_factory=list)  # more To addresses after `to_email` (manual mail)
    extra_headers: list[tuple[str, str]] = field(default_factory=list)  # (name, value), e.g. a warmup token


def new_message_id(domain: str) -> str:
    """A globally unique `<...@domain>` Message-ID that names no host of ours."""
    return f"<{new_id().hex}.{secrets.token_hex(4)}@{domain_key(domain)}>"


def requires_smtputf8(msg: OutgoingMessage) -> bool:
    """Whether an address has a non-ASCII local part, so the transaction needs the SMTPUTF8 extension."""
    addresses = [
        msg.from_email,
        msg.to_email,
        *msg.to_others,
        *msg.cc,
        *msg.bcc,
        *([msg.reply_to] if msg.reply_to else []),
    ]
    return any(not address.rpartition("@")[0].isascii() for address in addresses)


def rewrite_links(html: str, click_url: Callable[[str], str], *, keep: set[str]) -> str:
    """Every http(s) `href` replaced by its tracked form, except the URLs in `keep`."""

    def replace(match: re.Match[str]) -> str:
        raw = next(group for group in match.groups()[2:] if group is not None)
        url = unescape(raw).strip()
        if not url.lower().startswith(("http://", "https://")) or url in keep:
            return match.group(0)
        return f'{match.group(1)}"{escape(click_url(url))}"'

    return _HREF.sub(replace, html)


def add_open_pixel(html: str, pixel_url: str) -> str:
    pixel = f'<img src="{escape(pixel_url)}" width="1" height="1" alt="" style="display:none" />'
    body_end = html.lower().rfind("</body")
    if body_end < 0:
        return html + pixel
    return html[:body_end] + pixel + html[body_end:]


def _html_part(msg: OutgoingMessage) -> str:
    html = msg.html
    if msg.click_url is not None:
        html = rewrite_links(
            html, msg.click_url, keep={msg.unsubscribe_url} if msg.unsubscribe_url else set()
        )
    if msg.open_pixel_url is not None:
        html = add_open_pixel(html, msg.open_pixel_url)
    return html


def _list_unsubscribe(msg: OutgoingMessage) -> str | None:
    targets = []
    if msg.unsubscribe_url:
        targets.append(f"<{msg.unsubscribe_url}>")
    if msg.unsubscribe_mailto:
        targets.append(f"<mailto:{msg.unsubscribe_mailto}?subject=unsubscribe>")
    return ", ".join(targets) or None


def _head_and_body(msg: OutgoingMessage) -> str:
    utf8 = requires_smtputf8(msg)
    date = msg.date if msg.date.tzinfo else msg.date.replace(tzinfo=UTC)
    lines = [
        mime.header("From", mime.mailbox(msg.from_email, msg.from_name, utf8=utf8), utf8=utf8),
        mime.header(
            "To", ", ".join(mime.mailbox(a, utf8=utf8) for a in [msg.to_email, *msg.to_others]), utf8=utf8
        ),
    ]
    if msg.cc:
        lines.append(mime.header("Cc", ", ".join(mime.mailbox(a, utf8=utf8) for a in msg.cc), utf8=utf8))
    if msg.reply_to:
        lines.append(mime.header("Reply-To", mime.mailbox(msg.reply_to, utf8=utf8), utf8=utf8))
    lines.append(mime.header("Subject", msg.subject, utf8=utf8))
    lines.append(mime.header("Date", format_datetime(date.astimezone(UTC)), utf8=utf8))
    lines.append(mime.header("Message-ID", msg.message_id, utf8=utf8))
    if msg.in_reply_to:
        lines.append(mime.header("In-Reply-To", msg.in_reply_to, utf8=utf8))
    if msg.references:
        lines.append(mime.header("References", " ".join(msg.references), utf8=utf8))
    for name, value in msg.extra_headers:
        lines.append(mime.header(name, value, utf8=utf8))
    list_unsubscribe = _list_unsubscribe(msg)
    if list_unsubscribe:
        lines.append(mime.header("List-Unsubscribe", list_unsubscribe, utf8=utf8))
        if msg.one_click_unsubscribe and msg.unsubscribe_url:
            lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    lines.append("MIME-Version: 1.0\r\n")
    if msg.text_only:
        content_headers, body = mime.single_text_body(msg.text)
    else:
        content_headers, body = mime.alternative_body(msg.text, _html_part(msg))
    lines.append(content_headers)
    return "".join(lines) + "\r\n" + body


def _sign(message: bytes, key: DkimKey) -> bytes:
    head = message.split(b"\r\n\r\n", 1)[0]
    present = {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n")}
    try:
        signature: bytes = dkim.sign(
            message,
            key.selector.encode(),
            domain_key(key.domain).encode(),
            key.private_key_pem.encode(),
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[name for name in SIGNED_HEADERS if name in present],
        )
    except (dkim.DKIMException, ValueError) as error:
        raise DkimError(f"cannot DKIM-sign for {key.domain}: {error}") from None
    return signature + message


def build_message(msg: OutgoingMessage) -> bytes:
    """The message as it goes into SMTP DATA (CRLF line ends), DKIM-signed when a key is given.

    Raises `DkimError` if the key cannot sign. Signing costs a few milliseconds of CPU (RSA): call it
    in a thread when throughput matters.
    """
    data = _head_and_body(msg).encode()
    return _sign(data, msg.dkim) if msg.dkim is not None else data
