"""An OAuth 2.0 authorization server for the tests: Google's and Microsoft's part of the mailbox flow, as a
Starlette app under uvicorn on a loopback port (its own thread and event loop).

Endpoints (all under `provider.url`):
- `GET /authorize`: the consent page, answered at once as the signed-in user would. Who is signed in is
  the browser's cookie `signed_in=<email>`; `consent=deny` denies (redirect with `error=access_denied`),
  `unticked=<scope>` grants all asked for but that scope (Google's granular consent). Checks the client,
  the redirect URI, `response_type=code` and an S256 PKCE challenge; redirects with `code` and `state`.
- `POST /token`: `authorization_code` (single use, redirect URI and PKCE verifier checked; a reused code
  also revokes what the code gave) and `refresh_token` grants. Access tokens live `access_token_seconds`.
  A client with `rotates` gets a new refresh token at every refresh and the old one dies; presenting a
  dead one revokes the whole grant (reuse detection), so a client that loses a rotated token is locked out.
  An ID token (JWT, HS256 with the client secret) comes with every grant while `id_tokens` is on.
- `GET /userinfo` (Bearer), `POST /revoke` (`token=`: the whole grant), `POST /introspect` (`token=`:
  `{"active": true, "email": ..., "scope": ...}` or `{"active": false}`), which Dovecot's `oauth2` passdb
  and the SMTP sink's XOAUTH2 authenticator ask.

Controls for tests: `add_user`, `expire_access_tokens(email)` (as if their hour had passed),
`revoke(email)`, `refreshes(email)`, `issued(email)` (every token and code given out), `authorizations`,
`refused` (the tokens introspection called inactive), `grant(email)` (tokens without the browser dance).

Fixtures: `oauth_provider` and `oauth_dovecot`, a Dovecot (tests/imap_server.py) that takes XOAUTH2 with
this provider's tokens (session scope: tests use addresses of their own), and `oauth_sink`, an SMTP sink
(tests/smtp_sink.py) that does too, with STARTTLS.
"""

import base64
import hashlib
import hmac
import json
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.imap_server import Dovecot, directory_for_dovecot
from tests.smtp_sink import MakeSmtpSink, SmtpSink, free_port

GOOGLE_CLIENT = ("google-client.apps.test", "google-secret")
MICROSOFT_CLIENT = ("microsoft-client-id", "microsoft-secret")
REDIRECT_PREFIX = "http://coldsend.test/oauth/callback/"
START_TIMEOUT_SECONDS = 10.0


@dataclass
class _Client:
    secret: str
    rotates: bool


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    email: str
    used: bool = False
    grant: "_Grant | None" = None


@dataclass
class _Grant:
    client_id: str
    email: str
    scope: str
    refresh_token: str
    dead_refresh_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class _Access:
    grant: _Grant
    expires: float


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (Starlette's own parser needs python-multipart)."""
    return dict(parse_qsl((await request.body()).decode()))


def _error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


class OAuthProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.clients = {
            GOOGLE_CLIENT[0]: _Client(GOOGLE_CLIENT[1], rotates=False),
            MICROSOFT_CLIENT[0]: _Client(MICROSOFT_CLIENT[1], rotates=True),
        }
        self.users: dict[str, str] = {}  # email -> name
        # Where a client may be sent back to: the in-process app's callback, and any served app's a test adds.
        self.redirect_prefixes = [REDIRECT_PREFIX]
        self.access_token_seconds = 3600
        self.id_tokens = True
        self.authorizations: list[dict[str, str]] = []  # the query of every /authorize
        self.refused: list[str] = []  # tokens introspection called inactive (a mail server refused them)
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}  # by live refresh token
        self._access: dict[str, _Access] = {}
        self._refreshes: dict[str, int] = {}
        self._issued: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- controls ------------------------------------------------------------------------------------
    def add_user(self, email: str, name: str) -> None:
        with self._lock:
            self.users[email] = name

    def expire_access_tokens(self, email: str) -> None:
        with self._lock:
            for access in self._access.values():
                if access.grant.email == email:
                    access.expires = 0.0

    def revoke(self, email: str) -> None:
        with self._lock:
            for grant in self._grants.values():
                if grant.email == email:
                    grant.revoked = True

    def refreshes(self, email: str) -> int:
        with self._lock:
            return self._refreshes.get(email, 0)

    def issued(self, email: str) -> list[str]:
        """Every access token, refresh token, ID token and code given out for the user."""
        with self._lock:
            return list(self._issued.get(email, []))

    def grant(self, email: str, client_id: str = GOOGLE_CLIENT[0]) -> tuple[str, str]:
        """(access token, refresh token) for the user, as a finished consent would give (mail tests)."""
        with self._lock:
            grant = _Grant(client_id, email, "https://mail.google.com/ email", self._issue(email, "refresh"))
            self._grants[grant.refresh_token] = grant
            return str(self._grant_body(grant, new_refresh_token=True)["access_token"]), grant.refresh_token

    def endpoints(self) -> dict[str, str]:
        return {
            "authorization_url": f"{self.url}/authorize",
            "token_url": f"{self.url}/token",
            "userinfo_url": f"{self.url}/userinfo",
        }

    # --- tokens --------------------------------------------------------------------------------------
    def _issue(self, email: str, kind: str) -> str:
        token = f"{kind}-{secrets.token_urlsafe(24)}"
        self._issued.setdefault(email, []).append(token)
        return token

    def _id_token(self, client_id: str, email: str) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": client_id,
            "sub": hashlib.sha256(email.encode()).hexdigest()[:20],
            "email": email,
            "email_verified": True,
            "preferred_username": email,
            "name": self.users.get(email, ""),
            "iat": now,
            "exp": now + 3600,
        }
        body = _b64url(json.dumps(claims).encode())
        secret = self.clients[client_id].secret.encode()
        signature = _b64url(hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
        token = f"{header}.{body}.{signature}"
        self._issued.setdefault(email, []).append(token)
        return token

    def _grant_body(self, grant: _Grant, *, new_refresh_token: bool) -> dict[str, object]:
        access = self._issue(grant.email, "access")
        self._access[access] = _Access(grant, time.time() + self.access_token_seconds)
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_token_seconds,
            "scope": grant.scope,
        }
        if new_refresh_token:
            body["refresh_token"] = grant.refresh_token
        if self.id_tokens and "openid" in grant.scope.split():
            body["id_token"] = self._id_token(grant.client_id, grant.email)
        return body

    def _active(self, token: str) -> _Access | None:
        access = self._access.get(token)
        if access is None or access.grant.revoked or access.expires <= time.time():
            return None
        return access

    # --- endpoints -----------------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        with self._lock:
            self.authorizations.append(query)
            client = self.clients.get(query.get("client_id", ""))
            redirect_uri = query.get("redirect_uri", "")
            if client is None or not redirect_uri.startswith(tuple(self.redirect_prefixes)):
                return Response("unknown client or redirect URI", status_code=400)
            state = query.get("state", "")
            email = request.cookies.get("signed_in", "")
            if request.cookies.get("consent") == "deny" or email not in self.users:
                denied = {
                    "error": "access_denied",
                    "error_description": "The user denied access",
                    "state": state,
                }
                return RedirectResponse(f"{redirect_uri}?{urlencode(denied)}", status_code=302)
            if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
                return Response("response_type=code with an S256 challenge, please", status_code=400)
            unticked = request.cookies.get("unticked", "")
            scope = " ".join(part for part in query.get("scope", "").split() if part != unticked)
            code = self._issue(email, "code")
            self._codes[code] = _Code(
                client_id=query["client_id"],
                redirect_uri=redirect_uri,
                challenge=query.get("code_challenge", ""),
                scope=scope,
                email=email,
            )
        answer = {"code": code, "state": state, "scope": scope}
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await _form(request)
        client_id = str(form.get("client_id", ""))
        with self._lock:
            client = self.clients.get(client_id)
            if client is None or form.get("client_secret") != client.secret:
                return _error("invalid_client", "Unauthorized client", 401)
            if form.get("grant_type") == "authorization_code":
                return self._redeem(client_id, form)
            if form.get("grant_type") == "refresh_token":
                return self._refresh(client_id, client, str(form.get("refresh_token", "")))
        return _error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")

    def _redeem(self, client_id: str, form: dict[str, str]) -> Response:
        code = self._codes.get(form.get("code", ""))
        if code is None or code.client_id != client_id:
            return _error("invalid_grant", "Malformed auth code.")
        if code.used:
            if code.grant is not None:
                code.grant.revoked = True  # RFC 6749 4.1.2: what a replayed code gave is revoked
            return _error("invalid_grant", "Bad Request: the code was already redeemed.")
        code.used = True
        if form.get("redirect_uri") != code.redirect_uri:
            return _error("invalid_grant", "redirect_uri_mismatch")
        verifier = form.get("code_verifier", "")
        if _b64url(hashlib.sha256(verifier.encode()).digest()) != code.challenge:
            return _error("invalid_grant", "Invalid code verifier.")
        grant = _Grant(client_id, code.email, code.scope, self._issue(code.email, "refresh"))
        code.grant = grant
        self._grants[grant.refresh_token] = grant
        return JSONResponse(self._grant_body(grant, new_refresh_token=True))

    def _refresh(self, client_id: str, client: _Client, refresh_token: str) -> Response:
        grant = self._grants.get(refresh_token)
        reused = next((g for g in self._grants.values() if refresh_token in g.dead_refresh_tokens), None)
        if reused is not None:
            reused.revoked = True
            return _error("invalid_grant", "AADSTS54005: the refresh token was already redeemed.")
        if grant is None or grant.client_id != client_id:
            return _error("invalid_grant", "Bad Request: unknown refresh token.")
        if grant.revoked:
            return _error("invalid_grant", "Token has been expired or revoked.")
        self._refreshes[grant.email] = self._refreshes.get(grant.email, 0) + 1
        if client.rotates:
            grant.dead_refresh_tokens.add(refresh_token)
            del self._grants[refresh_token]
            grant.refresh_token = self._issue(grant.email, "refresh")
            self._grants[grant.refresh_token] = grant
        return JSONResponse(self._grant_body(grant, new_refresh_token=client.rotates))

    async def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            access = self._active(token) if scheme.lower() == "bearer" else None
            if access is None:
                return _error("invalid_token", "Invalid Credentials", 401)
            email = access.grant.email
            return JSONResponse(
                {"sub": email, "email": email, "email_verified": True, "name": self.users[email]}
            )

    async def revoke_endpoint(self, request: Request) -> Response:
        token = (await _form(request)).get("token", "")
        with self._lock:
            grant = self._grants.get(token)
            access = self._access.get(token)
            if access is not None:
                grant = access.grant
            if grant is not None:
                grant.revoked = True
        return Response(status_code=200)

    async def introspect(self, request: Request) -> Response:
        token = (await _form(request)).get("token", "")
        with self._lock:
            access = self._active(token)
            if access is None:
                self.refused.append(token)
                return JSONResponse({"active": False})
            grant = access.grant
            return JSONResponse(
                {"active": True, "email": grant.email, "scope": grant.scope, "client_id": grant.client_id}
            )

    # --- lifecycle -----------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
                Route("/revoke", self.revoke_endpoint, methods=["POST"]),
                Route("/introspect", self.introspect, methods=["POST"]),
            ]
        )

    def start(self) -> "OAuthProvider":
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="oauth-provider", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the test OAuth provider did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=START_TIMEOUT_SECONDS)
        self._server = self._thread = None


@pytest.fixture(scope="session")
def oauth_provider() -> Iterator[OAuthProvider]:
    provider = OAuthProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def oauth_dovecot(oauth_provider: OAuthProvider) -> Iterator[Dovecot]:
    directory = directory_for_dovecot()
    server = Dovecot(directory, introspection_url=f"{oauth_provider.url}/introspect").start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def oauth_sink(make_smtp_sink: MakeSmtpSink, oauth_provider: OAuthProvider) -> SmtpSink:
    return make_smtp_sink(
        tls="starttls", users={}, require_auth=True, introspection_url=f"{oauth_provider.url}/introspect"
    )
