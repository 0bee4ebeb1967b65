"""Delivers finished verifications to the `webhook_url` given with them: once, retried with backoff."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import network
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.models import EmailVerification, WebhookState
from coldsend.network import ip_literal, is_public
from coldsend.verification import service as verification_service

log = logging.getLogger(__name__)


class UnsafeTarget(ValueError):
    """The URL's host is loopback, private, link-local or otherwise not a public address."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes: the checked address in the URL; the URL's host in Host and in TLS SNI."""

    url: httpx.URL
    host_header: str
    server_name: str | None


def literal_target_allowed(url: str, settings: Settings) -> bool:
    """Refuses, when private targets are not allowed, a URL naming a non-public IP or `localhost`."""
    if settings.verify_webhook_allow_private:
        return True
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return False
    literal = ip_literal(host)
    return literal is None or is_public(literal)  # a name is checked by address when delivered


async def target(url: str, settings: Settings) -> Target:
    """Resolves the URL's host once and checks every address (unless private ones are allowed); the
    delivery connects to the checked address, so a second DNS answer cannot redirect it."""
    parsed = httpx.URL(url)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await network.resolve(host, port, settings.dns_nameservers)
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve")
    if not settings.verify_webhook_allow_private and not all(is_public(address) for address in addresses):
        raise UnsafeTarget(f"{host} resolves to a non-public address")
    return Target(
        url=parsed.copy_with(host=addresses[0]),
        host_header=parsed.netloc.decode("ascii"),
        server_name=host if parsed.scheme == "https" else None,
    )


async def deliver(
    client: httpx.AsyncClient, row: EmailVerification, credits: int | None, settings: Settings
) -> tuple[str | None, bool]:
    """POST what GET /email-verification/{email} shows; the failure (None when delivered) and whether it
    is for good."""
    assert row.webhook_url is not None
    payload = verification_service.shown(row, credits=credits, credits_used=1).model_dump(mode="json")
    failure: str | None = None
    permanent = False
    try:
        pinned = await target(row.webhook_url, settings)
        response = await client.post(
            pinned.url,
            json=payload,
            headers={"Host": pinned.host_header},
            extensions={"sni_hostname": pinned.server_name} if pinned.server_name else None,
        )
        if not response.is_success:
            failure = f"HTTP {response.status_code}"
    except UnsafeTarget as error:
        failure, permanent = str(error), True
    except httpx.HTTPError as error:
        failure = f"{type(error).__name__}: {error}"
    return failure, permanent


async def record_attempt(
    session: AsyncSession, row: EmailVerification, failure: str | None, *, permanent: bool, settings: Settings
) -> None:
    attempts = row.webhook_attempts + 1
    values: dict[str, object] = {"webhook_attempts": attempts}
    if failure is None:
        values |= {"webhook_status": WebhookState.DELIVERED, "webhook_next_at": None}
    elif permanent or attempts >= settings.verify_webhook_max_attempts:
        log.warning("verification webhook for %s failed for good: %s", row.id, failure)
        values |= {"webhook_status": WebhookState.FAILED, "webhook_next_at": None}
    else:
        delay = settings.verify_webhook_retry_delay_seconds * 2 ** (attempts - 1)
        log.info("verification webhook for %s failed (%s); retry in %.0f s", row.id, failure, delay)
        values |= {"webhook_next_at": utcnow() + timedelta(seconds=delay)}
    await session.execute(
        update(EmailVerification)
        .where(EmailVerification.id == row.id, EmailVerification.webhook_status == WebhookState.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
