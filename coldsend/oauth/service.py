"""OAuth sessions: started by init (state and PKCE verifier kept, the provider's authorization URL made),
looked up by status polls (a workspace sees its own only), and finished by the callback (oauth/flows.py).

The state is `<session id>.<secret>`: the id finds the session, the secret (stored as its SHA-256) proves
the redirect comes from the authorization URL this server made. The PKCE verifier (stored encrypted)
proves the code is redeemed by whoever asked for it.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption
from coldsend.config import Settings
from coldsend.errors import NotFound
from coldsend.models import OAuthSession, OAuthSessionStatus
from coldsend.oauth.providers import Provider, redirect_uri
from coldsend.oauth.schemas import OAuthSessionState
from coldsend.principal import Principal

LIFETIME = timedelta(minutes=10)
KEPT_FOR = timedelta(days=7)  # finished and expired sessions still answer status polls this long
STATE_SEPARATOR = "."
UNFINISHED = (OAuthSessionStatus.PENDING, OAuthSessionStatus.COMPLETING)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def challenge(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_url(settings: Settings, provider: Provider, *, state: str, code_challenge: str) -> str:
    params = {
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri(settings, provider.name),
        "response_type": "code",
        "scope": " ".join(provider.scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        **dict(provider.authorization_params),
    }
    separator = "&" if "?" in provider.authorization_url else "?"
    return provider.authorization_url + separator + urlencode(params, quote_via=quote)


async def start(
    session: AsyncSession, settings: Settings, principal: Principal, provider: Provider, *, now: datetime
) -> tuple[OAuthSession, str]:
    """A new session of the principal's workspace, and the URL to send the user to."""
    await session.execute(
        delete(OAuthSession).where(
            OAuthSession.workspace_id == principal.workspace_id, OAuthSession.expires_at < now - KEPT_FOR
        )
    )
    verifier, secret = secrets.token_urlsafe(64), secrets.token_urlsafe(32)
    row = OAuthSession(
        id=secrets.token_hex(16),
        workspace_id=principal.workspace_id,
        provider=provider.name,
        state_hash=_digest(secret),
        code_verifier_encrypted=encryption.encrypt(settings, verifier),
        status=OAuthSessionStatus.PENDING,
        api_key_id=principal.api_key_id,
        key_workspace_id=principal.key_workspace_id,
        ip_address=principal.ip_address,
        user_agent=principal.user_agent,
        timestamp_created=now,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    await session.flush()
    state = f"{row.id}{STATE_SEPARATOR}{secret}"
    return row, authorization_url(settings, provider, state=state, code_challenge=challenge(verifier))


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, session_id: str) -> OAuthSession:
    """The workspace's session; another workspace's is as good as missing (404)."""
    row = await session.scalar(
        select(OAuthSession).where(OAuthSession.id == session_id, OAuthSession.workspace_id == workspace_id)
    )
    if row is None:
        raise NotFound("OAuth session not found")
    return row


def expired(row: OAuthSession, now: datetime) -> bool:
    return row.status in UNFINISHED and row.expires_at <= now


def shown(row: OAuthSession, now: datetime) -> OAuthSessionState:
    if expired(row, now):
        return OAuthSessionState(status="expired")
    if row.status == OAuthSessionStatus.SUCCESS:
        return OAuthSessionState(status="success", email=row.email, name=row.name or "")
    if row.status == OAuthSessionStatus.ERROR:
        return OAuthSessionState(
            status="error", error=row.error or "server_error", error_description=row.error_description or ""
        )
    return OAuthSessionState(status="pending")


def split_state(state: str) -> tuple[str, str] | None:
    session_id, separator, secret = state.partition(STATE_SEPARATOR)
    if not separator or not secret or len(session_id) != 32 or len(state) > 200:
        return None
    return session_id, secret


def state_matches(row: OAuthSession, secret: str) -> bool:
    return hmac.compare_digest(row.state_hash, _digest(secret))


def fail(row: OAuthSession, error: str, description: str, *, now: datetime) -> None:
    row.status = OAuthSessionStatus.ERROR
    row.error = error[:100]
    row.error_description = description[:2000]
    row.completed_at = now
