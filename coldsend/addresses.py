"""Email addresses and domains in one canonical form: equal addresses compare equal as strings.

Three strictnesses, one form: `normalize_email` validates (what an API caller or an import gives us),
`address_key` only checks the shape of an address read from mail (a header, a bounce), `email_key`
trusts its input (addresses already stored). Email verification asks more, whether mail could be
delivered to the address at all: `parse_address` (its docstring says why it is not the same code).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

_MAX_DOMAIN_LENGTH = 253
_MAX_LABEL_LENGTH = 63
# RFC 5321's limit on the local part: `parse_address` counts it in octets, `normalize_email` in characters.
MAX_LOCAL_LENGTH = 64
_MAX_ADDRESS_LENGTH = 320  # normalize_email: a local part, "@", a domain
# parse_address: RFC 5321's 256-octet path, less the angle brackets.
MAX_PATH_ADDRESS_LENGTH = 254
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


def email_keys(addresses: Sequence[str]) -> tuple[list[str], list[str]]:
    """`email_key` of each address, as a list of addresses and one of domains. A batch of plain ASCII
    addresses (an @ in each, no whitespace, no trailing dot: nothing but case to change) is keyed by a few
    whole-batch string operations, not a call per address."""
    joined = "\n".join(addresses)
    if joined.isascii() and ".\n" not in joined and not joined.endswith("."):
        lowered = joined.lower()
        emails = lowered.split("\n")
        # Equal only if no address holds whitespace (or a newline) or is empty.
        if lowered.split() == emails and len(emails) == len(addresses):
            local_domains = [email.rpartition("@") for email in emails]
            if all(at for _, at, _ in local_domains):
                return emails, [domain for _, _, domain in local_domains]
    pairs = [email_key(address) for address in addresses]
    return [email for email, _ in pairs], [domain for _, domain in pairs]


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
    if not at or not 0 < len(local) <= MAX_LOCAL_LENGTH or set(local) & _LOCAL_FORBIDDEN:
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


class InvalidAddress(ValueError):
    """Not an email address mail could be delivered to; the message says why."""


@dataclass(frozen=True, slots=True)
class Address:
    email: str  # lower-case local part @ ASCII (punycode) domain: the form verifications are stored under
    local: str
    domain: str
    unicode_domain: str

    @property
    def ascii(self) -> bool:
        return self.local.isascii()


def parse_address(value: str) -> Address:
    """The address in the form email verification stores and probes, or InvalidAddress saying why (the
    message is shown in verification results).

    Not `normalize_email`'s code, and it cannot be without changing one of them. This asks whether mail
    could be delivered to the address on the Internet (email-validator's rules: special-use and reserved
    domains such as .test, .local and .invalid refused, no trailing dot, no zero-width joiner, RFC 5321's
    limits counted in UTF-8 octets, the local part in NFC, the domain by IDNA 2008 with UTS 46).
    `normalize_email` accepts what the API always has (.test domains, a trailing dot, 64 non-ASCII
    characters before the @), and its form is the key of every stored lead, account and block-list entry,
    which `email_key` and `domain_key` (IDNA 2003, no NFC) must find again. Where both accept an address
    they give it the same form (the local part in lower case, the domain in punycode), but for local parts
    not in NFC and domains with a character the two IDNA versions map differently, such as ß, ς or İ
    (straße.de: strasse.de there, xn--strae-oqa.de here).
    """
    text = value.strip()
    local_raw = text.rpartition("@")[0]
    if len(local_raw.encode()) > MAX_LOCAL_LENGTH:
        raise InvalidAddress(f"the part before the @ is longer than {MAX_LOCAL_LENGTH} characters")
    try:
        found = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from None
    local = found.local_part.lower()
    address = Address(
        email=f"{local}@{found.ascii_domain}",
        local=local,
        domain=found.ascii_domain,
        unicode_domain=found.domain,
    )
    if len(address.email.encode()) > MAX_PATH_ADDRESS_LENGTH:
        raise InvalidAddress(f"the address is longer than {MAX_PATH_ADDRESS_LENGTH} characters")
    return address
