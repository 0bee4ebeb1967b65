"""Header values of an inbound message read defensively: unfolded, decoded, length-capped."""

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import AddressHeader
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from coldsend.addresses import address_key

_MAX_DECODED_HEADER = 16_384
# `policy.default` parses a mailbox in time quadratic in its length (~1 s for 8 KB of quotes);
# one mailbox never needs more than this.
_MAX_MAILBOX_HEADER = 2_048
_MAX_ADDRESS_LIST = 65_536
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_NOT_IN_BARE_MESSAGE_ID = frozenset('<>"(),;:[]\\')
MAX_SCANNED_LINE = 1_000  # lines longer than this are no attribution, and no bounce recipient line


def clean_text(text: str) -> str:
    """Text safe to store: undecodable bytes (surrogate escapes) as UTF-8 or U+FFFD, no NUL."""
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text.replace("\x00", "")


def one_line(text: str) -> str:
    return " ".join(text.split())


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --- headers -------------------------------------------------------------------------------------------


class Headers:
    """A message's (or a delivery-status block's) raw header values by lower-case name, unfolded."""

    def __init__(self, message: Message) -> None:
        self._values: dict[str, list[str]] = {}
        try:
            items = list(message.raw_items())
        except Exception:
            items = []
        for name, value in items:
            unfolded = re.sub(r"[\r\n]+", "", clean_text(str(value)))
            self._values.setdefault(str(name).strip().lower(), []).append(unfolded)

    def first(self, name: str) -> str | None:
        values = self._values.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def names(self) -> set[str]:
        return set(self._values)


def decoded_header(raw: str | None) -> str:
    """A header value read as unstructured text, RFC 2047 encoded words decoded."""
    if not raw:
        return ""
    value = raw[:_MAX_DECODED_HEADER]
    try:
        return clean_text(str(policy.default.header_factory("subject", value)))
    except Exception:
        pass
    try:
        return clean_text(str(make_header(decode_header(value))))
    except Exception:
        return value


def first_mailbox(name: str, raw: str | None) -> tuple[str, str] | None:
    """(display name, addr-spec) of the first address in a From or Reply-To header."""
    if not raw:
        return None
    value = raw[:_MAX_MAILBOX_HEADER]
    try:
        header = policy.default.header_factory(name, value)
        if isinstance(header, AddressHeader) and header.addresses:
            address = header.addresses[0]
            return clean_text(address.display_name), clean_text(address.addr_spec)
    except Exception:
        pass
    pairs = _address_pairs(value)
    return (decoded_header(pairs[0][0]), pairs[0][1]) if pairs else None


def _address_pairs(value: str) -> list[tuple[str, str]]:
    """`email.utils.getaddresses`, linear where `policy.default` is quadratic, for address lists."""
    try:
        return [(clean_text(name), clean_text(spec)) for name, spec in getaddresses([value])]
    except Exception:  # RecursionError on deeply nested comments
        return []


def address_list(raws: list[str]) -> list[str]:
    """The addresses of all the headers of one name (To, Cc), in the `address_key` form."""
    value = ", ".join(raws)[:_MAX_ADDRESS_LIST]
    keys = (address_key(spec) for _, spec in _address_pairs(value))
    return unique(key for key in keys if key)


def message_id_tokens(value: str | None) -> list[str]:
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


def header_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw.strip())
        if parsed.tzinfo is None:  # "-0000": the zone is unknown, the time is UTC (RFC 5322 3.3)
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except Exception:
        return None


def first_word(value: str | None) -> str:
    """A field's keyword without parameters or comments: `auto-replied; x=y (z)` -> `auto-replied`."""
    return re.split(r"[;(\s]", (value or "").strip(), maxsplit=1)[0].lower()
