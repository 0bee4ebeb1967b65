"""RFC 5322 / MIME writing for outgoing mail, by hand.

`email.message.EmailMessage` with the `SMTP` policy costs ~1.5 ms a message (its header registry builds
a class per header); the sender's budget is a fraction of that. Messages here are simple — one or two
UTF-8 text parts — so they are written directly: ASCII headers folded at spaces, non-ASCII ones as
RFC 2047 encoded words (raw UTF-8 when the transaction uses SMTPUTF8), bodies quoted-printable. A
boundary starting with `=_` can never occur inside quoted-printable text.
"""

import binascii
import re
import secrets
from email.header import Header

from coldsend.addresses import domain_key

MAX_LINE = 78
CRLF = "\r\n"
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def one_line(value: str) -> str:
    """Header text on one line: a line break in a subject or name must not start a new header."""
    return " ".join(value.split())


def _fold(name: str, value: str) -> str:
    lines: list[str] = []
    current = f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > MAX_LINE and current != f"{name}:":
            lines.append(current)
            current = f" {word}"
        else:
            current = f"{current} {word}"
    lines.append(current)
    return "\r\n".join(lines) + "\r\n"


def header(name: str, value: str, *, utf8: bool) -> str:
    """`Name: value` CRLF-terminated, folded; encoded words when the value is not ASCII (and not SMTPUTF8)."""
    value = one_line(value)
    if value.isascii() or utf8:
        return _fold(name, value)
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}\r\n"


def _display_name(name: str, *, utf8: bool) -> str:
    if not name.isascii() and not utf8:
        return Header(name, "utf-8").encode(linesep=CRLF)
    if _SPECIALS.search(name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return name


def mailbox(email: str, name: str = "", *, utf8: bool) -> str:
    """`Name <local@domain>` (or the bare address); the domain in punycode unless SMTPUTF8 is used."""
    local, _, domain = email.strip().rpartition("@")
    address = f"{local}@{domain if utf8 else domain_key(domain)}"
    name = one_line(name)
    return f"{_display_name(name, utf8=utf8)} <{address}>" if name else address


def _quoted_printable(text: str) -> str:
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(normalized.encode(), quotetabs=False, istext=True, header=False)
    body = encoded.decode("ascii").replace("\n", "\r\n")
    return body if body.endswith("\r\n") else body + "\r\n"


def text_part_headers(subtype: str) -> str:
    return f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n'


def single_text_body(text: str) -> tuple[str, str]:
    """(content headers, body) of a text/plain message."""
    return text_part_headers("plain"), _quoted_printable(text)


def alternative_body(text: str, html: str) -> tuple[str, str]:
    """(content headers, body) of a multipart/alternative message: plain first, HTML preferred."""
    boundary = f"=_{secrets.token_hex(16)}"
    body = (
        f"--{boundary}\r\n{text_part_headers('plain')}\r\n{_quoted_printable(text)}"
        f"--{boundary}\r\n{text_part_headers('html')}\r\n{_quoted_printable(html)}"
        f"--{boundary}--\r\n"
    )
    return f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n', body
