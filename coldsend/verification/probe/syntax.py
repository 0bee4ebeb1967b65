"""Syntax and normalisation: one canonical form per address, IDN domains in punycode for DNS and SMTP."""

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_LOCAL_LENGTH = 64
# RFC 5321's 256-octet path, less the angle brackets.
MAX_ADDRESS_LENGTH = 254


class InvalidAddress(ValueError):
    """Not an email address; the message says why."""


@dataclass(frozen=True, slots=True)
class Address:
    email: str  # lower-case local part @ ASCII (punycode) domain: the form addresses are stored under
    local: str
    domain: str
    unicode_domain: str

    @property
    def ascii(self) -> bool:
        return self.local.isascii()


def parse(value: str) -> Address:
    """The address in canonical form, or InvalidAddress."""
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
    if len(address.email.encode()) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(f"the address is longer than {MAX_ADDRESS_LENGTH} characters")
    return address
