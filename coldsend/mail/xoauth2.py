"""XOAUTH2, the SASL mechanism Google and Microsoft take OAuth 2.0 access tokens with over SMTP
(`AUTH XOAUTH2`) and IMAP (`AUTHENTICATE XOAUTH2`): `user=<address>^Aauth=Bearer <token>^A^A`, base64.

An endpoint logs in with `OAuth2` instead of a password. Its token is either a value (used as is) or a
`TokenSource`: a callback giving the token to log in with, called once more, with the token the server
refused, when the login fails (it renews the token then, unless another worker already did). A source
that cannot give a token raises `TokenRefused` (the grant is gone: the account must be connected again)
or `TokenUnavailable` (the provider could not be reached: try again later).
"""

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

TokenSource = Callable[[str | None], Awaitable[str]]


class TokenError(Exception):
    """No access token could be had for the login."""


class TokenRefused(TokenError):
    """The provider will not renew the account's token (revoked or expired grant): account-level."""


class TokenUnavailable(TokenError):
    """The provider could not be asked for a token now (unreachable, overloaded): try again later."""


@dataclass(frozen=True)
class OAuth2:
    """XOAUTH2 credentials: an access token, or the source of one (see the module docstring)."""

    token: str | TokenSource = field(repr=False)

    async def first(self) -> str:
        return self.token if isinstance(self.token, str) else await self.token(None)

    async def after_refusal(self, refused: str) -> str | None:
        """Another token to try once the server refused `refused`; None when the token is a fixed value."""
        return None if isinstance(self.token, str) else await self.token(refused)


def initial_response(username: str, token: str) -> str:
    """The client's SASL initial response, base64 (sent with the AUTH / AUTHENTICATE command)."""
    return base64.b64encode(f"user={username}\x01auth=Bearer {token}\x01\x01".encode()).decode("ascii")
