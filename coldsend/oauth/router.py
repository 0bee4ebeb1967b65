"""Connecting Google Workspace and Microsoft 365 mailboxes through OAuth, on the operator's own OAuth apps:
init and status (API key), and the callback the provider sends the browser back to (no API key)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from coldsend import errors
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.rate_limit import RateLimiter
from coldsend.http.responses import doc
from coldsend.oauth import flows, pages, providers
from coldsend.oauth import service as oauth_service
from coldsend.oauth.schemas import OAuthInit, OAuthSessionState
from coldsend.principal import Principal

router = APIRouter(prefix="/api/v2/oauth", tags=["OAuth"])
callback_router = APIRouter(include_in_schema=False)

INITS_PER_MINUTE_PER_WORKSPACE = 75
INITS_PER_MINUTE_PER_IP = 150
RATE_MESSAGE = "Rate limit exceeded for OAuth session creation"
SESSION_ID = "^[0-9a-f]{32}$"  # as init makes them: anything else is a 400, an unknown one a 404
PAGE_HEADERS = {
    "Cache-Control": "no-store, max-age=0",
    "Referrer-Policy": "no-referrer",  # the URL held the authorization code
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _init_notes(label: str, name: str, servers: str, extra: str) -> str:
    setting = f"COLDSEND_{name.upper()}_CLIENT"
    return (
        f'Needs {setting}_ID and {setting}_SECRET (your own OAuth app: README, "OAuth mailboxes"); '
        "without them a 400 names them. The session lives 10 minutes; auth_url carries the state and a "
        f"PKCE S256 challenge{extra}. {label} sends the browser back to "
        f"{{COLDSEND_PUBLIC_URL}}/oauth/callback/{name}, which creates the account ({servers}; SMTP and "
        "IMAP log in with XOAUTH2, the tokens are stored encrypted, never returned, and renewed before "
        "they expire) or gives the workspace's account of that address new tokens, ending a connection "
        f"error. {INITS_PER_MINUTE_PER_WORKSPACE}/min per workspace and {INITS_PER_MINUTE_PER_IP}/min per "
        "IP (429 with Retry-After); never 503, as nothing upstream is asked at init."
    )


STATUS_NOTES = (
    "pending, success (email, name), error (error and error_description: the provider's own, e.g. "
    "access_denied or invalid_grant, or invalid_state, insufficient_scope, no_refresh_token) or expired (10 "
    "minutes after init, unless finished). Another workspace's session is a 404. Kept 7 days after expiry."
)


@dataclass(frozen=True)
class _InitLimits:
    workspace: RateLimiter
    ip: RateLimiter


def _limits(request: Request) -> _InitLimits:
    state = request.app.state
    limits: _InitLimits | None = getattr(state, "oauth_init_limits", None)
    if limits is None:
        limits = state.oauth_init_limits = _InitLimits(
            workspace=RateLimiter(INITS_PER_MINUTE_PER_WORKSPACE, INITS_PER_MINUTE_PER_WORKSPACE),
            ip=RateLimiter(INITS_PER_MINUTE_PER_IP, INITS_PER_MINUTE_PER_IP),
        )
    return limits


def _check_rate(request: Request, principal: Principal) -> None:
    limits = _limits(request)
    checks = ((limits.workspace, principal.workspace_id), (limits.ip, principal.ip_address))
    over = [(limiter, key) for limiter, key in checks if not limiter.allow(key)]  # both count
    if over:
        wait = max(limiter.retry_after(key) for limiter, key in over)
        raise errors.RateLimited(RATE_MESSAGE, headers={"Retry-After": str(wait)})


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _init(name: str, request: Request, principal: Principal, session: Session) -> OAuthInit:
    settings = _settings(request)
    provider = providers.provider(settings, name)  # unconfigured: a 400 that uses up no budget
    _check_rate(request, principal)
    row, url = await oauth_service.start(session, settings, principal, provider, now=utcnow())
    return OAuthInit(session_id=row.id, auth_url=url, expires_at=row.expires_at)


@router.post(
    "/google/init",
    operation_id="initGoogleOAuth",
    response_model=OAuthInit,
    responses=doc(errors.BadRequest, errors.RateLimited),
    openapi_extra={
        "x-coldsend-notes": _init_notes(
            "Google",
            "google",
            "provider_code 2, smtp.gmail.com:587, imap.gmail.com:993",
            ", access_type=offline and prompt=consent",
        )
    },
)
async def init_google_oauth(request: Request, principal: Authorized, session: Session) -> OAuthInit:
    """Initialize google oauth"""
    return await _init("google", request, principal, session)


@router.post(
    "/microsoft/init",
    operation_id="initMicrosoftOAuth",
    response_model=OAuthInit,
    responses=doc(errors.BadRequest, errors.RateLimited),
    openapi_extra={
        "x-coldsend-notes": _init_notes(
            "Microsoft",
            "microsoft",
            "provider_code 3, smtp.office365.com:587, outlook.office365.com:993",
            " (tenant COLDSEND_MICROSOFT_TENANT, default common)",
        )
    },
)
async def init_microsoft_oauth(request: Request, principal: Authorized, session: Session) -> OAuthInit:
    """Initialize microsoft oauth"""
    return await _init("microsoft", request, principal, session)


@router.get(
    "/session/status/{sessionId}",
    operation_id="getOAuthSessionStatus",
    response_model=OAuthSessionState,
    responses=doc(errors.NotFound),
    openapi_extra={"x-coldsend-notes": STATUS_NOTES},
)
async def get_oauth_session_status(
    session_id: Annotated[
        str, Path(alias="sessionId", pattern=SESSION_ID, description="Session ID from init response")
    ],
    principal: Authorized,
    session: Session,
) -> OAuthSessionState:
    """Get oauth session status"""
    row = await oauth_service.get(session, workspace_id=principal.workspace_id, session_id=session_id)
    return oauth_service.shown(row, utcnow())


@callback_router.get(providers.CALLBACK_PATH + "/{provider}")
async def oauth_callback(provider: str, request: Request) -> HTMLResponse:
    """Where the provider sends the browser back with the code (or an error) and the state."""
    if provider not in providers.PROVIDER_NAMES:
        raise errors.NotFound()
    query = dict(request.query_params)
    outcome = await flows.complete(request.app.state.sessionmaker, _settings(request), provider, query)
    status = 200 if outcome.connected else 400
    return HTMLResponse(pages.outcome_page(outcome), status_code=status, headers=PAGE_HEADERS)
