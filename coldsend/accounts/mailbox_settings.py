"""An account's stored SMTP and IMAP settings as the endpoints the mail package connects to: the one place
that chooses how an account logs in. A password account gets its passwords, decrypted; an account
connected through OAuth gets XOAUTH2 with its `AccountTokens`, which give the stored access token while it
is good and renew it first when it is not (oauth/tokens.py, once more when a server refuses it). A grant
the provider no longer honours (revoked, expired) puts the account in connection error with the
provider's reason, until it is connected again through the same OAuth flow.
"""

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend import encryption as secrets
from coldsend.accounts import health
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.mail import xoauth2
from coldsend.mail.imap import ImapConnectionError, ImapEndpoint
from coldsend.mail.smtp import SmtpEndpoint
from coldsend.mail.tls import TLS_MODES, TlsMode
from coldsend.models import Account
from coldsend.oauth import tokens as oauth_tokens

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class AccountTokens:
    """The XOAUTH2 token source (mail/xoauth2.py) of one account; equal for one account, so an endpoint
    built again for it is the same endpoint to the sender's connection pool."""

    account_id: uuid.UUID
    settings: Settings = field(compare=False, repr=False)
    sessions: Sessions = field(compare=False, repr=False)

    async def __call__(self, refused: str | None) -> str:
        try:
            return await oauth_tokens.access_token(
                self.sessions, self.settings, self.account_id, refused=refused
            )
        except oauth_tokens.RefreshUnavailable as error:
            raise xoauth2.TokenUnavailable(str(error)) from None
        except oauth_tokens.RefreshRefused as error:
            async with session_scope(self.sessions) as session:
                account = await session.get(Account, self.account_id)
                if account is not None:
                    await health.mark_connection_error(
                        session, account, str(error), code="EAUTH", command="XOAUTH2", response=error.error
                    )
            raise xoauth2.TokenRefused(str(error)) from None


def _oauth2(account: Account, settings: Settings, sessions: Sessions) -> xoauth2.OAuth2 | None:
    if account.oauth_provider is None:
        return None
    return xoauth2.OAuth2(AccountTokens(account.id, settings, sessions))


def smtp_endpoint_for(account: Account, settings: Settings, sessions: Sessions) -> SmtpEndpoint:
    """The account's SMTP endpoint, its password decrypted (`InvalidToken` if the key changed) or XOAUTH2."""
    security: TlsMode = account.smtp_tls if account.smtp_tls in TLS_MODES else "starttls"
    domain = account.email.rpartition("@")[2] or "localhost"
    oauth2 = _oauth2(account, settings, sessions)
    return SmtpEndpoint(
        host=account.smtp_host,
        port=account.smtp_port,
        username=account.smtp_username,
        password="" if oauth2 else secrets.decrypt(settings, account.smtp_password_encrypted),
        security=security,
        helo_name=domain,
        timeout=settings.smtp_timeout_seconds,
        ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        oauth2=oauth2,
    )


def imap_endpoint_for(account: Account, settings: Settings, sessions: Sessions) -> ImapEndpoint:
    """The account's IMAP endpoint, its password decrypted (`InvalidToken` if the key changed) or XOAUTH2."""
    oauth2 = _oauth2(account, settings, sessions)
    if not account.imap_host or not account.imap_port or not (oauth2 or account.imap_password_encrypted):
        raise ImapConnectionError("the account has no IMAP settings")
    security: TlsMode = account.imap_tls if account.imap_tls in TLS_MODES else "ssl"
    return ImapEndpoint(
        host=account.imap_host,
        port=account.imap_port,
        username=account.imap_username or account.email,
        password=""
        if oauth2 or not account.imap_password_encrypted
        else secrets.decrypt(settings, account.imap_password_encrypted),
        security=security,
        timeout=settings.imap_timeout_seconds,
        ca_file=str(settings.imap_ca_file) if settings.imap_ca_file else None,
        oauth2=oauth2,
    )
