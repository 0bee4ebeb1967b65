"""The callback, in steps: check the redirect against its session and claim the session (committed, so a
second redirect finds it taken), redeem the code with the PKCE verifier and learn who the mailbox is
(HTTP, outside any transaction), then connect the account and mark the session a success."""

from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import encryption
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.errors import ColdsendError
from coldsend.models import OAuthSession, OAuthSessionStatus
from coldsend.oauth import client, connect, providers
from coldsend.oauth import service as oauth_service

MAX_PARAMETER = 4096


@dataclass(frozen=True)
class Outcome:
    """What the page tells the person who just went through the provider's consent screen."""

    connected: bool
    title: str
    detail: str


UNKNOWN = Outcome(False, "Link not recognised", "This sign-in link is unknown, so nothing was connected.")
USED = Outcome(False, "Link already used", "This sign-in link was already used; nothing more was done.")
EXPIRED = Outcome(False, "Link expired", "This sign-in link expired after 10 minutes: start again.")


def _failed(error: str, description: str) -> Outcome:
    return Outcome(False, "Mailbox not connected", f"{description} ({error})" if description else error)


async def _fail(
    sessions: async_sessionmaker[AsyncSession], session_id: str, error: str, description: str
) -> Outcome:
    async with session_scope(sessions) as session:
        row = await session.get(OAuthSession, session_id, with_for_update=True)
        if row is not None and row.status == OAuthSessionStatus.COMPLETING:
            oauth_service.fail(row, error, description, now=utcnow())
    return _failed(error, description)


async def _claim(session: AsyncSession, name: str, query: dict[str, str]) -> OAuthSession | Outcome:
    """The session the redirect finishes, now `completing`; else what to tell the user (a session whose
    redirect is wrong is marked an error)."""
    parsed = oauth_service.split_state(query.get("state", ""))
    if parsed is None:
        return UNKNOWN
    session_id, secret = parsed
    row = await session.get(OAuthSession, session_id, with_for_update=True)
    now = utcnow()
    if row is None or row.provider != name:
        return UNKNOWN
    if oauth_service.expired(row, now):
        return EXPIRED
    if row.status != OAuthSessionStatus.PENDING:
        return USED
    if not oauth_service.state_matches(row, secret):
        error, description = "invalid_state", "The state sent back does not match the one this server made"
    elif "error" in query:
        error, description = query["error"][:100], query.get("error_description", "")[:MAX_PARAMETER]
    elif not query.get("code"):
        error, description = "invalid_request", "The provider sent back no authorization code"
    else:
        row.status = OAuthSessionStatus.COMPLETING
        return row
    oauth_service.fail(row, error, description, now=now)
    return _failed(error, description)


async def _redeem(
    settings: Settings, provider: providers.Provider, code: str, verifier: str
) -> tuple[client.Tokens, client.Identity]:
    issued = await client.redeem(
        provider,
        code=code,
        verifier=verifier,
        redirect_uri=providers.redirect_uri(settings, provider.name),
        timeout=settings.oauth_timeout_seconds,
    )
    missing = providers.missing_scopes(provider, issued.scope)
    if missing:
        raise client.ProviderRefused(
            "insufficient_scope", f"Sending and reading need {' and '.join(missing)}, which was not granted"
        )
    if issued.refresh_token is None:
        raise client.ProviderRefused(
            "no_refresh_token", f"{provider.label} gave no refresh token (offline access)"
        )
    return issued, await client.identity(provider, issued, timeout=settings.oauth_timeout_seconds)


async def complete(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, name: str, query: dict[str, str]
) -> Outcome:
    """Finish the session the provider's redirect names; what happened, for the page."""
    async with session_scope(sessions) as session:
        claimed = await _claim(session, name, query)
        if isinstance(claimed, Outcome):
            return claimed
        session_id, encrypted_verifier = claimed.id, claimed.code_verifier_encrypted
    try:
        provider = providers.provider(settings, name)
        verifier = encryption.decrypt(settings, encrypted_verifier)
    except (ColdsendError, InvalidToken) as error:
        return await _fail(
            sessions, session_id, "server_error", f"This server cannot finish the session: {error}"
        )
    try:
        issued, person = await _redeem(settings, provider, query["code"][:MAX_PARAMETER], verifier)
    except client.ProviderRefused as error:
        return await _fail(sessions, session_id, error.error, error.description)
    except client.ProviderUnavailable as error:
        return await _fail(sessions, session_id, "temporarily_unavailable", str(error))
    async with session_scope(sessions) as session:
        row = await session.get(OAuthSession, session_id, with_for_update=True)
        if row is None or row.status != OAuthSessionStatus.COMPLETING:
            return USED
        account = await connect.connect(session, settings, row, provider, issued, person, now=utcnow())
        email = account.email
    return Outcome(True, "Mailbox connected", f"{email} is connected to Coldsend.")
