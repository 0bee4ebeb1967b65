"""Mailbox providers (ESPs), regions and recipient types of seeds, and the numbers the API shows them by.

A seed's provider is found from its domain's MX hosts. The spec numbers Google 1, Microsoft 2, AirMail 8,
Web.de 12 and Libero.it 13; providers it has no number for get Coldsend's own, above 100 (Yahoo 101,
Zoho 102, any other 199). Geography is the spec's: United States 1, Italy 2, Germany 3, France 4 (by a
seed's sub-region), and recipient types Professional 1, Personal 2.
"""

from collections.abc import Sequence

GOOGLE = "Google"
MICROSOFT = "Microsoft"
YAHOO = "Yahoo"
ZOHO = "Zoho"
WEB_DE = "Web.de"
LIBERO = "Libero.it"
OTHER = "Other"

ESP_CODES = {GOOGLE: 1, MICROSOFT: 2, "AirMail": 8, WEB_DE: 12, LIBERO: 13, YAHOO: 101, ZOHO: 102, OTHER: 199}
ESP_NAMES = {code: name for name, code in ESP_CODES.items()}
_MX_SUFFIXES = {
    GOOGLE: ("google.com", "googlemail.com"),
    MICROSOFT: ("outlook.com", "office365.com", "hotmail.com", "microsoft.com"),
    YAHOO: ("yahoodns.net", "yahoo.com"),
    ZOHO: ("zoho.com", "zoho.eu", "zoho.in", "zohomail.com"),
    WEB_DE: ("web.de",),
    LIBERO: ("libero.it",),
}

PROFESSIONAL = "Professional"
PERSONAL = "Personal"
TYPE_CODES = {PROFESSIONAL: 1, PERSONAL: 2}
GEO_CODES = {"US": 1, "IT": 2, "DE": 3, "FR": 4}
DEFAULT_REGION = "North America"
DEFAULT_SUB_REGION = "US"
# Domains whose mailboxes belong to people, not companies: a seed there is Personal unless told otherwise.
CONSUMER_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "ymail.com", "aol.com", "icloud.com", "zohomail.com", "web.de", "gmx.de", "gmx.net", "libero.it",
    }
)  # fmt: skip


def classify(mx_hosts: Sequence[str]) -> str:
    """The provider whose servers receive the domain's mail, by its MX host names."""
    for provider, suffixes in _MX_SUFFIXES.items():
        if any(host == suffix or host.endswith("." + suffix) for host in mx_hosts for suffix in suffixes):
            return provider
    return OTHER


def esp_code(name: str | None) -> int | None:
    return None if name is None else ESP_CODES.get(name, ESP_CODES[OTHER])


def geo_code(sub_region: str) -> int | None:
    return GEO_CODES.get(sub_region.strip().upper())


def type_code(kind: str) -> int | None:
    return TYPE_CODES.get(kind)


def default_type(domain: str) -> str:
    return PERSONAL if domain.lower() in CONSUMER_DOMAINS else PROFESSIONAL
