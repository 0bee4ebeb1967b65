"""What this server asks a provider over HTTP: redeem an authorization code (with its PKCE verifier),
renew an access token with the refresh token, and who the mailbox is (ID token claims, else user info).

A provider's refusal (an OAuth error such as `invalid_grant`) is `ProviderRefused` and carries the
provider's own words; anything else that keeps an answer from coming (no connection, timeout, a 5xx or
a 429, an answer that is not OAuth) is `ProviderUnavailable`. Tokens never appear in either.
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from coldsend.addresses import normalize_email
from coldsend.clock import utcnow
from coldsend.oauth.providers import Provider

DEFAULT_LIFETIME_SECONDS = 3600


class ProviderRefused(Exception):
    """The provider answered with an OAuth error."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class ProviderUnavailable(Exception):
    """No usable answer from the provider: try again later."""


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str | None = field(repr=False)  # None: keep the one there is (no rotation)
    id_token: str | None = field(repr=False)
    scope: str | None


@dataclass(frozen=True)
class Identity:
    email: str
    name: str


def _text(value: Any, limit: int = 500) -> str:
    return str(value)[:limit] if value is not None else ""


async def _post_token(provider: Provider, form: dict[str, str], timeout: float) -> Tokens:
    form = {**form, "client_id": provider.client_id, "client_secret": provider.client_secret}
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(
                provider.token_url, data=form, headers={"Accept": "application/json"}
            )
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"{provider.label}'s token endpoint: {type(error).__name__}") from None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise ProviderUnavailable(
            f"{provider.label}'s token endpoint answered {response.status_code}, not JSON"
        )
    if response.status_code in (400, 401) and isinstance(body.get("error"), str):
        raise ProviderRefused(_text(body["error"], 100), _text(body.get("error_description")))
    access_token = body.get("access_token")
    if response.status_code != 200 or not isinstance(access_token, str) or not access_token:
        raise ProviderUnavailable(f"{provider.label}'s token endpoint answered {response.status_code}")
    lifetime = body.get("expires_in")
    seconds = (
        int(lifetime)
        if isinstance(lifetime, int | str) and str(lifetime).isdigit()
        else DEFAULT_LIFETIME_SECONDS
    )
    refresh_token, id_token, scope = body.get("refresh_token"), body.get("id_token"), body.get("scope")
    return Tokens(
        access_token=access_token,
        expires_at=utcnow() + timedelta(seconds=seconds),
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        id_token=id_token if isinstance(id_token, str) else None,
        scope=scope if isinstance(scope, str) else None,
    )


async def redeem(
    provider: Provider, *, code: str, verifier: str, redirect_uri: str, timeout: float
) -> Tokens:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
    }
    if provider.refresh_sends_scope:
        form["scope"] = " ".join(provider.scopes)
    return await _post_token(provider, form, timeout)


async def refresh(provider: Provider, refresh_token: str, *, timeout: float) -> Tokens:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if provider.refresh_sends_scope:
        form["scope"] = " ".join(provider.scopes)
    return await _post_token(provider, form, timeout)


def _claims(provider: Provider, id_token: str) -> dict[str, Any]:
    """The ID token's claims. It came straight from the token endpoint over TLS, which vouches for its
    issuer (OpenID Connect Core 3.1.3.7), so its signature is not checked; its audience is."""
    try:
        payload = id_token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    if not isinstance(claims, dict):
        return {}
    audience = claims.get("aud")
    if audience != provider.client_id and not (isinstance(audience, list) and provider.client_id in audience):
        return {}
    return claims


async def _userinfo(provider: Provider, access_token: str, timeout: float) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(provider.userinfo_url, headers=headers)
        body = orjson.loads(response.content)
    except (httpx.HTTPError, orjson.JSONDecodeError):
        raise ProviderUnavailable(f"{provider.label}'s user info endpoint gave no answer") from None
    if response.status_code != 200 or not isinstance(body, dict):
        raise ProviderUnavailable(f"{provider.label}'s user info endpoint answered {response.status_code}")
    return body


def _address(claims: dict[str, Any]) -> str | None:
    if claims.get("email_verified") is False:
        return None
    for key in ("email", "preferred_username"):  # Microsoft: the sign-in name, usually the address
        value = claims.get(key)
        if isinstance(value, str):
            try:
                return normalize_email(value)
            except ValueError:
                continue
    return None


async def identity(provider: Provider, tokens: Tokens, *, timeout: float) -> Identity:
    """The mailbox's address and owner's name: from the ID token, else from the user info endpoint."""
    claims = _claims(provider, tokens.id_token) if tokens.id_token else {}
    address = _address(claims)
    if address is None:
        claims = await _userinfo(provider, tokens.access_token, timeout)
        address = _address(claims)
    if address is None:
        raise ProviderRefused(
            "unverified_email", f"{provider.label} gave no verified email address for the mailbox"
        )
    name = claims.get("name")
    return Identity(email=address, name=name[:500] if isinstance(name, str) else "")
