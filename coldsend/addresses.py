"""Email addresses and domains in one canonical form: equal addresses compare equal as strings.

Three strictnesses, one form: `normalize_email` validates (what an API caller or an import gives us),
`address_key` only checks the shape of an address read from mail (a header, a bounce), `email_key`
trusts its input (addresses already stored).
"""

import re

_MAX_DOMAIN_LENGTH = 253
_MAX_LABEL_LENGTH = 63
_MAX_LOCAL_LENGTH = 64
_MAX_ADDRESS_LENGTH = 320
_LABEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
# Unquoted local parts only (RFC 5322 dot-atom, plus non-ASCII letters as SMTPUTF8 allows).
_LOCAL_FORBIDDEN = frozenset(' "(),:;<>@[\\]') | frozenset(map(chr, range(0x21))) | {chr(0x7F)}
# The common case of `normalize_email`, checked in one regex: an ASCII address it accepts unchanged but for
# case (no surrounding space, no trailing dot, labels already valid). Anything else goes the full way.
_PLAIN_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[!#-'*+\-/0-9=?A-Z^-~]+(?:\.[!#-'*+\-/0-9=?A-Z^-~]+)*@"
    r"(?=.{1,253}\Z)(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+(?![0-9]+\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)",
    re.ASCII,
)


def domain_key(domain: str) -> str:
    """The lookup form of a domain, without validation: lower case, IDNs in punycode, no trailing dot."""
    name = domain.strip().rstrip(".").lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def email_key(address: str) -> tuple[str, str]:
    """(address, domain) in lookup form, without validation; cheap enough for batches of thousands."""
    local, _, domain = address.strip().rpartition("@")
    domain = domain.rstrip(".").lower()
    if not domain.isascii():
        domain = domain_key(domain)
    return f"{local.lower()}@{domain}", domain


def address_key(address: str) -> str | None:
    """The `email_key` form of an address read from mail (angle brackets allowed), or None if it has no
    local part, no domain or a space: not a validation."""
    address = address.strip().strip("<>")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        return None
    return email_key(address)[0]


def normalize_domain(value: str) -> str:
    """A lower-case ASCII host name with at least two labels (IDNs in punycode); ValueError if not one."""
    try:
        name = value.strip().rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(value) from None
    labels = name.split(".")
    if len(name) > _MAX_DOMAIN_LENGTH or len(labels) < 2 or labels[-1].isdigit():
        raise ValueError(value)
    for label in labels:
        if not 0 < len(label) <= _MAX_LABEL_LENGTH or not set(label) <= _LABEL_CHARACTERS:
            raise ValueError(value)
        if label.startswith("-") or label.endswith("-"):
            raise ValueError(value)
    return name


def normalize_email(value: str) -> str:
    """`local@domain` in lower case with the domain as `normalize_domain` has it; ValueError if invalid."""
    if _PLAIN_EMAIL.fullmatch(value):
        return value.lower()
    local, at, domain = value.strip().rpartition("@")
    if not at or not 0 < len(local) <= _MAX_LOCAL_LENGTH or set(local) & _LOCAL_FORBIDDEN:
        raise ValueError(value)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError(value)
    address = f"{local.lower()}@{normalize_domain(domain)}"
    if len(address) > _MAX_ADDRESS_LENGTH:
        raise ValueError(value)
    return address


def normalize_email_or_domain(value: str) -> str:
    """An email (it has an `@`) or else a domain, normalised; ValueError if it is neither."""
    return normalize_email(value) if "@" in value else normalize_domain(value)
