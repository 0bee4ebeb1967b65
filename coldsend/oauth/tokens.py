"""An OAuth account's access token: the stored one while it is good for `oauth_refresh_margin_seconds`
more, else renewed with the refresh token.

A renewal happens under the account's lock (db/locks.py), and only after re-reading the account inside
it: a worker that waited for another's renewal uses the token that one stored instead of renewing again.
So two workers never renew one account at once, and a provider that rotates refresh tokens (and revokes
the whole grant when an old one comes back) never sees a used one again: the rotated refresh token is
stored in the transaction that stores the access token it came with.
"""

import uuid
from datetime import timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import encryption
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db import locks
from coldsend.db.session import session_scope
from coldsend.errors import ColdsendError
from coldsend.models import Account
from coldsend.oauth import client
from coldsend.oauth.providers import PROVIDER_NAMES, provider


class RefreshRefused(Exception):
    """The provider will not renew the token (revoked or expired grant): the account must reconnect."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.error = error


class RefreshUnavailable(Exception):
    """No token now (the provider could not be reached, or this server lost its settings): try later."""


def store(settings: Settings, account: Account, tokens: client.Tokens) -> None:
    """Put freshly issued tokens on the account, encrypted; a refresh token that was not rotated stays."""
    account.oauth_access_token_encrypted = encryption.encrypt(settings, tokens.access_token)
    account.oauth_token_expires_at = tokens.expires_at
    if tokens.refresh_token is not None:
        account.oauth_refresh_token_encrypted = encryption.encrypt(settings, tokens.refresh_token)


def _usable(settings: Settings, account: Account | None, refused: str | None) -> str | None:
    """The stored access token, unless it is about to expire or is the one a server just refused."""
    if (
        account is None
        or account.oauth_access_token_encrypted is None
        or account.oauth_token_expires_at is None
    ):
        return None
    margin = timedelta(seconds=settings.oauth_refresh_margin_seconds)
    if account.oauth_token_expires_at - margin <= utcnow():
        return None
    try:
        token = encryption.decrypt(settings, account.oauth_access_token_encrypted)
    except InvalidToken:
        return None
    return None if token == refused else token


async def access_token(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    account_id: uuid.UUID,
    *,
    refused: str | None,
) -> str:
    """An access token to log in with; `refused` is one a server just turned down (renew unless another
    worker already has)."""
    async with sessions() as session:
        token = _usable(settings, await session.get(Account, account_id), refused)
    if token is not None:
        return token
    async with session_scope(sessions) as session:
        await locks.hold(session, account_id)
        account = await session.get(Account, account_id, populate_existing=True)
        token = _usable(settings, account, refused)
        if token is not None:
            return token
        if (
            account is None
            or account.oauth_provider not in PROVIDER_NAMES
            or not account.oauth_refresh_token_encrypted
        ):
            raise RefreshUnavailable("the account is not connected through OAuth")
        try:
            source = provider(settings, account.oauth_provider)
        except ColdsendError as error:  # the provider's settings were removed since
            raise RefreshUnavailable(error.message) from None
        try:
            refresh_token = encryption.decrypt(settings, account.oauth_refresh_token_encrypted)
        except InvalidToken:
            raise RefreshUnavailable(
                "the stored refresh token cannot be decrypted (the secret key changed)"
            ) from None
        try:
            tokens = await client.refresh(source, refresh_token, timeout=settings.oauth_timeout_seconds)
        except client.ProviderRefused as error:
            raise RefreshRefused(
                f"{source.label} refused to renew the access token ({error}); connect the mailbox again "
                f"through POST /api/v2/oauth/{source.name}/init",
                error.error,
            ) from None
        except client.ProviderUnavailable as error:
            raise RefreshUnavailable(str(error)) from None
        store(settings, account, tokens)
        return tokens.access_token
