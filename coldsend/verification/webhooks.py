"""Delivers finished verifications to the `webhook_url` given with them: once, retried with backoff."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import network
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.models import EmailVerification, WebhookState
from coldsend.network import ip_literal, is_public
from coldsend.verification import service as verification_service

log = logging.getLogger(__name__)

BATCH = 20


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


class WebhookSender:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker

    async def deliver_due(self) -> int:
        """Deliver the webhooks due now (leasing each for the attempt); how many were attempted."""
        now = utcnow()
        lease = timedelta(seconds=self.settings.verify_webhook_timeout_seconds * 3)
        due = and_(
            EmailVerification.webhook_status == WebhookState.PENDING, EmailVerification.webhook_next_at <= now
        )
        async with self.sessionmaker() as session:
            if await session.scalar(select(EmailVerification.id).where(due).limit(1)) is None:
                return 0
        async with session_scope(self.sessionmaker) as session:
            pick = select(EmailVerification.id).where(due).limit(BATCH).with_for_update(skip_locked=True)
            rows = list(
                (
                    await session.scalars(
                        update(EmailVerification)
                        .where(EmailVerification.id.in_(pick.scalar_subquery()), due)
                        .values(webhook_next_at=now + lease)
                        .returning(EmailVerification)
                        .execution_options(synchronize_session=False)
                    )
                ).all()
            )
            credits = {
                workspace_id: await verification_service.credits_left(
                    session, workspace_id=workspace_id, settings=self.settings
                )
                for workspace_id in {row.workspace_id for row in rows}
            }
        async with httpx.AsyncClient(
            timeout=self.settings.verify_webhook_timeout_seconds, follow_redirects=False
        ) as client:
            await asyncio.gather(*(self._deliver(client, row, credits[row.workspace_id]) for row in rows))
        return len(rows)

    async def _deliver(self, client: httpx.AsyncClient, row: EmailVerification, credits: int | None) -> None:
        """POST what GET /email-verification/{email} shows."""
        assert row.webhook_url is not None
        payload = verification_service.shown(row, credits=credits, credits_used=1).model_dump(mode="json")
        failure: str | None = None
        permanent = False
        try:
            pinned = await target(row.webhook_url, self.settings)
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
        await self._record(row, failure, permanent=permanent)

    async def _record(self, row: EmailVerification, failure: str | None, *, permanent: bool) -> None:
        attempts = row.webhook_attempts + 1
        values: dict[str, object] = {"webhook_attempts": attempts}
        if failure is None:
            values |= {"webhook_status": WebhookState.DELIVERED, "webhook_next_at": None}
        elif permanent or attempts >= self.settings.verify_webhook_max_attempts:
            log.warning("verification webhook for %s failed for good: %s", row.id, failure)
            values |= {"webhook_status": WebhookState.FAILED, "webhook_next_at": None}
        else:
            delay = self.settings.verify_webhook_retry_delay_seconds * 2 ** (attempts - 1)
            log.info("verification webhook for %s failed (%s); retry in %.0f s", row.id, failure, delay)
            values |= {"webhook_next_at": utcnow() + timedelta(seconds=delay)}
        async with session_scope(self.sessionmaker) as session:
            await session.execute(
                update(EmailVerification)
                .where(
                    EmailVerification.id == row.id, EmailVerification.webhook_status == WebhookState.PENDING
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
