"""Outbound HTTP to a URL a user gave (webhooks, verification webhooks): where it may go.

Unless private targets are allowed (COLDSEND_WEBHOOK_ALLOW_PRIVATE), a URL whose host is, or resolves
to, a loopback, private, link-local, CGNAT, multicast or unspecified address is refused. The host is
resolved once per delivery and the request connects to the checked address (`Target.url`), so a DNS
answer that changes between the check and the connection (rebinding) cannot pick the target.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from coldsend import network
from coldsend.network import ip_literal, is_public


class UnsafeTarget(ValueError):
    """The URL's host is loopback, private, link-local or otherwise not a public address."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one request goes: the checked address in the URL; the URL's host in Host and in TLS SNI."""

    url: httpx.URL
    host_header: str
    server_name: str | None


def literal_target_allowed(url: str, *, allow_private: bool) -> bool:
    """False for a URL naming a non-public IP or `localhost` (unless private targets are allowed); a
    name is checked by its addresses when the request is made."""
    if allow_private:
        return True
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return False
    literal = ip_literal(host)
    return literal is None or is_public(literal)


async def pinned_target(url: str, *, allow_private: bool, nameservers: Sequence[str]) -> Target:
    """Resolves the URL's host once and checks every address (unless private ones are allowed); the
    request then connects to the checked address. Raises UnsafeTarget."""
    parsed = httpx.URL(url)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await network.resolve(host, port, nameservers)
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve")
    if not allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeTarget(f"{host} resolves to a non-public address")
    return Target(
        url=parsed.copy_with(host=addresses[0]),
        host_header=parsed.netloc.decode("ascii"),
        server_name=host if parsed.scheme == "https" else None,
    )
