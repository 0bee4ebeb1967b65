"""What the seed's own server recorded about a copy it received: SPF, DKIM and DMARC from its
Authentication-Results header (RFC 8601, parsed with `authres`), and the IP the copy came from (its
Received header). "Its own" is the topmost of each: the receiving server prepends them."""

import email
import email.policy
import ipaddress
import re
from dataclasses import dataclass
from email.message import Message
from typing import Any

import authres

_FROM_IP = re.compile(r"\bfrom\b.*?\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Authentication:
    spf_pass: bool | None
    dkim_pass: bool | None
    dmarc_pass: bool | None
    failures: dict[str, Any] | None  # the headers that say why, when one did not pass


def headers_of(raw: bytes) -> Message:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)


def _passed(results: list[Any], method: str) -> bool | None:
    found = [result for result in results if str(result.method).lower() == method]
    if not found:
        return None
    return any(str(result.result).lower() == "pass" for result in found)


def authentication(message: Message) -> Authentication:
    header = message.get("Authentication-Results")
    if header is None:
        return Authentication(None, None, None, None)
    text = " ".join(str(header).split())
    try:
        results = authres.AuthenticationResultsHeader.parse_value(text).results
    except authres.AuthResError:
        results = []
    spf, dkim, dmarc = (_passed(results, method) for method in ("spf", "dkim", "dmarc"))
    failures = None
    if False in (spf, dkim, dmarc) or not results:
        failures = {
            "authentication_results": text,
            "dkim_signature": " ".join(str(message.get("DKIM-Signature", "")).split()),
            "received_spf": " ".join(str(message.get("Received-SPF", "")).split()),
        }
    return Authentication(spf, dkim, dmarc, failures)


def sending_ip(message: Message) -> str | None:
    """The address the seed's provider received the copy from: the topmost Received header naming a
    public address (hops inside the provider, LMTP from localhost, are passed over), else the topmost."""
    found = []
    for received in message.get_all("Received") or []:
        match = _FROM_IP.search(str(received).split(";", 1)[0])
        if match:
            found.append(match.group(1))
    for value in found:
        try:
            if ipaddress.ip_address(value).is_global:
                return value
        except ValueError:
            continue
    return found[0] if found else None
