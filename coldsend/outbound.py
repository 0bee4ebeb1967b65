"""Outbound HTTP to a URL a user gave (webhooks, verification webhooks): where it may go, and the one
function that posts to it (`post`).

Unless private targets are allowed (COLDSEND_WEBHOOK_ALLOW_PRIVATE), a URL whose host is, or resolves
to, a loopback, private, link-local, CGNAT, multicast or unspecified address is refused. The host is
resolved and checked before it is posted to (once per delivery, or once per claimed batch of
deliveries to one URL), and the request connects to the checked address (`Target.url`), so a DNS
answer that changes between the check and the connection (rebinding) cannot pick the target.
"""

import asyncio
import time
from collections.abc import Mapping, Sequence
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


RESPONSE_BYTES_KEPT = 64 * 1024  # what is read of a receiver's answer; the rest is never downloaded
ERROR_BODY_CHARS = 200  # of it, what a failure's message quotes


@dataclass(frozen=True, slots=True)
class Posted:
    """What one POST came to: the status (None when no answer came), how long it took, and why it
    failed (None for a 2xx). `refused` when the target was not a safe address: nothing was sent."""

    status_code: int | None
    response_time_ms: int
    error: str | None
    refused: bool = False


def client(max_connections: int = 100) -> httpx.AsyncClient:
    """The client `post` is given: no redirects, no proxy or netrc from the environment (the request
    must reach the pinned address itself)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, limits=limits)


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow_private: bool,
    nameservers: Sequence[str],
    timeout: float,
) -> Posted:
    """POST `body` to the checked, pinned address of `url`: within `timeout` seconds in all, no
    redirect followed, at most RESPONSE_BYTES_KEPT of the answer read. Never raises for what the
    network or the receiver does."""
    started = time.monotonic()
    try:
        target = await pinned_target(url, allow_private=allow_private, nameservers=nameservers)
    except UnsafeTarget as error:
        return refused(error, started)
    return await post_to(client, target, body, headers, timeout=timeout, started=started)


def refused(error: UnsafeTarget, started: float) -> Posted:
    """What a POST to an unsafe target comes to: nothing was sent."""
    return Posted(None, _since(started), f"unsafe target: {error}", refused=True)


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def post_to(
    client: httpx.AsyncClient,
    target: Target,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    started: float | None = None,
) -> Posted:
    """`post` to a target already resolved and checked by `pinned_target` (a caller posting many
    deliveries to one URL resolves it once per batch); `started` is when the attempt began."""
    if started is None:
        started = time.monotonic()

    def elapsed() -> int:
        return _since(started)

    request = client.build_request(
        "POST",
        target.url,
        content=body,
        headers={**headers, "Host": target.host_header, "Accept-Encoding": "identity"},
        extensions={"sni_hostname": target.server_name} if target.server_name else None,
        timeout=httpx.Timeout(timeout),
    )
    try:
        async with asyncio.timeout(timeout):
            status, kept = await _send(client, request)
    except TimeoutError:
        return Posted(None, elapsed(), f"timed out after {timeout:g} s")
    except httpx.HTTPError as error:
        return Posted(None, elapsed(), f"{type(error).__name__}: {error}".rstrip(": "))
    if 200 <= status < 300:
        return Posted(status, elapsed(), None)
    text = kept[:ERROR_BODY_CHARS].decode("utf-8", "replace").strip()
    return Posted(status, elapsed(), f"HTTP {status}" + (f": {text}" if text else ""))


async def _send(client: httpx.AsyncClient, request: httpx.Request) -> tuple[int, bytes]:
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        kept = bytearray()
        async for chunk in response.aiter_raw():
            kept += chunk[: RESPONSE_BYTES_KEPT - len(kept)]
            if len(kept) >= RESPONSE_BYTES_KEPT:
                break
        return response.status_code, bytes(kept)
    finally:
        await response.aclose()
