"""The failed recipient of a delivery report: from a DSN field, or from where plain-text reports name it."""

import re

from coldsend.addresses import address_key
from coldsend.mail.inbound.headers import Headers, address_list, first_mailbox
from coldsend.mail.inbound.phrases import FAILURE, LIST_ADMIN_LOCAL_PART, SYSTEM_LOCAL_PART, gave_up
from coldsend.mail.inbound.report import PERMANENT_REPLY, TEMPORARY_REPLY, lines_of

# An address in text; not starting with a quote, which Exchange writes around addresses ('a@b').
# Starting only where a run of address characters starts, so that a long run without an @ costs one scan.
ADDRESS = re.compile(
    r"(?<![\w.!#$%&*+/=?^`{|}~-])[\w.!#$%&*+/=?^`{|}~-][\w.!#$%&'*+/=?^`{|}~-]*@[\w-]+(?:\.[\w-]+)+"
)
_DSN_TYPE_PREFIX = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9.+-]*\s*;\s*")
_COMMENT = re.compile(r"\([^()]*\)")
_QUOTED_LOCAL_PART = re.compile(r'"([^"\\\s]+)"@([^\s"@]+)')
_LINE_START_ADDRESS = re.compile(r"^[ \t]*<([^<>\s@]+@[^<>\s]+)>:", re.MULTILINE)
# A line after which (or on which) a report lists the addresses that failed.
_FAILED_LIST_INTRO = re.compile(
    r"following (?:address|recipient)|these recipients|delivered to|deliver your message to|did not reach"
    r"|could not be reached|cannot be reached|delivery to|recipient\(?s?\)?:|(?:was )?addressed(?: to)?\b"
    r"|folgenden? (?:empfänger|adressen)|empfänger:|destinataires? suivants?|adresses suivantes"
    r"|siguientes destinatarios|seguintes destinatários|seguenti destinatari|volgende ontvangers"
    r"|получател|по следующим адресам|宛先|收件人",
    re.IGNORECASE,
)
_INTRO_LINES = 5
_LINES_AFTER_REPLY = 2  # sendmail writes the address on the line after the first 5xx reply
_LINES_BEFORE_REPLY = 3  # Exim writes it a few lines above
_PHRASE_LINES = 200  # the lines searched for failure phrases: dozens of patterns each


def dsn_address(value: str | None) -> str | None:
    """The address of a Final-Recipient / Original-Recipient value: `rfc822; <@route:a@b> (c)` -> `a@b`,
    `rfc822; "a|b"@c` -> `a|b@c`; None if it names no mailbox (a pipe to a program, a local name)."""
    if not value:
        return None
    address = _COMMENT.sub("", _DSN_TYPE_PREFIX.sub("", value, count=1)).strip().strip("<>").strip()
    if address.startswith("@") and ":" in address:  # a source route: @relay,@relay2:user@host
        address = address.rpartition(":")[2]
    quoted = _QUOTED_LOCAL_PART.fullmatch(address)
    if quoted is not None:
        address = f"{quoted.group(1)}@{quoted.group(2)}"
    mailbox = _exchange_encapsulated(address)
    key = address_key(mailbox) if mailbox and '"' not in mailbox else None
    return key if key is not None and "." in key.rpartition("@")[2] else None


def _exchange_encapsulated(address: str) -> str | None:
    """Exchange's IMCEA addresses: IMCEASMTP-user+40example+2Eorg@host is user@example.org; an X.500 one
    (IMCEAEX-_O=..._CN=alias@host) names no mailbox."""
    local, _, _ = address.rpartition("@")
    kind, dash, encoded = local.partition("-")
    if not dash or not kind.upper().startswith("IMCEA"):
        return address
    if kind.upper() != "IMCEASMTP":
        return None
    decoded = re.sub(r"\+([0-9A-Fa-f]{2})", lambda hexa: chr(int(hexa.group(1), 16)), encoded)
    return decoded if "@" in decoded else None


def is_usable(key: str | None, excluded: set[str]) -> bool:
    """An address that can be the failed recipient: not ours, not the reporting system's or a list's."""
    return bool(key) and key not in excluded and not SYSTEM_LOCAL_PART.fullmatch(str(key).rpartition("@")[0])


def _keys(candidates: list[str]) -> list[str]:
    return [key for key in (address_key(candidate) for candidate in candidates) if key]


def _near(lines: list[str], index: int) -> list[str]:
    """The addresses on a reply line, then on the lines after and above it, nearest first."""
    after = lines[index : index + 1 + _LINES_AFTER_REPLY]
    before = list(reversed(lines[max(0, index - _LINES_BEFORE_REPLY) : index]))
    return [address for line in (*after, *before) for address in ADDRESS.findall(line)]


def _line_index(lines: list[str], pattern: re.Pattern[str]) -> int | None:
    return next((index for index, line in enumerate(lines) if pattern.search(line)), None)


def named_in_report(explanation: str) -> list[str]:
    """The addresses a plain-text report names as failed, most likely first: a `<address>:` line (qmail,
    Postfix, Courier), the lines after a "the following recipients failed" line, the lines around the first
    5xx (else 4xx) reply, the lines that say the failure in words, then any address in the explanation."""
    lines = lines_of(explanation)
    candidates = _LINE_START_ADDRESS.findall("\n".join(lines))
    intro = _line_index(lines, _FAILED_LIST_INTRO)
    if intro is not None:
        found = _FAILED_LIST_INTRO.search(lines[intro])
        rest = lines[intro][found.end() :] if found else ""
        candidates += ADDRESS.findall("\n".join([rest, *lines[intro + 1 : intro + 1 + _INTRO_LINES]]))
    reply = _line_index(lines, PERMANENT_REPLY)
    reply = reply if reply is not None else _line_index(lines, TEMPORARY_REPLY)
    if reply is not None:
        candidates += _near(lines, reply)
    for index, line in enumerate(lines[:_PHRASE_LINES]):
        if FAILURE.search(line) or gave_up(line):
            candidates += ADDRESS.findall("\n".join(lines[index : index + 1 + _LINES_AFTER_REPLY]))
    candidates += ADDRESS.findall("\n".join(lines))
    return _keys(candidates)


def list_address(headers: Headers) -> str | None:
    """The posting address of the list whose software or owner sent a notice: List-Post, X-BeenThere,
    else the sender's address without its -owner / -bounces / -request part."""
    posting = re.search(r"mailto:([^>\s?]+)", headers.first("list-post") or "")
    named = [posting.group(1)] if posting else address_list(headers.all("x-beenthere"))[:1]
    for raw in (headers.first("from"), headers.first("sender")):
        mailbox = first_mailbox("from", raw)
        local, _, domain = (mailbox[1] if mailbox else "").rpartition("@")
        if local and LIST_ADMIN_LOCAL_PART.fullmatch(local):
            base = re.sub(r"-(?:owner|request|bounces|admin)$|^owner-", "", local, flags=re.IGNORECASE)
            if base != local:
                named.append(f"{base}@{domain}")
    keys = _keys(named)
    return keys[0] if keys else None


def failed_recipient(candidates: list[str | None], excluded: set[str]) -> str | None:
    return next((key for key in candidates if key and is_usable(key, excluded)), None)
