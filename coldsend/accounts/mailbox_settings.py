"""An account's stored SMTP and IMAP settings as the endpoints the mail package connects to."""

from coldsend import encryption as secrets
from coldsend.config import Settings
from coldsend.mail.imap import ImapConnectionError, ImapEndpoint
from coldsend.mail.smtp import SmtpEndpoint
from coldsend.mail.tls import TLS_MODES, TlsMode
from coldsend.models import Account


def smtp_endpoint_for(account: Account, settings: Settings) -> SmtpEndpoint:
    """The account's SMTP endpoint with its password decrypted; `InvalidToken` if the key changed."""
    security: TlsMode = account.smtp_tls if account.smtp_tls in TLS_MODES else "starttls"
    domain = account.email.rpartition("@")[2] or "localhost"
    return SmtpEndpoint(
        host=account.smtp_host,
        port=account.smtp_port,
        username=account.smtp_username,
        password=secrets.decrypt(settings, account.smtp_password_encrypted),
        security=security,
        helo_name=domain,
        timeout=settings.smtp_timeout_seconds,
        ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
    )


def imap_endpoint_for(account: Account, settings: Settings) -> ImapEndpoint:
    """The account's IMAP endpoint with its password decrypted; `InvalidToken` if the key changed."""
    if not account.imap_host or not account.imap_port or not account.imap_password_encrypted:
        raise ImapConnectionError("the account has no IMAP settings")
    security: TlsMode = account.imap_tls if account.imap_tls in TLS_MODES else "ssl"
    return ImapEndpoint(
        host=account.imap_host,
        port=account.imap_port,
        username=account.imap_username or account.email,
        password=secrets.decrypt(settings, account.imap_password_encrypted),
        security=security,
        timeout=settings.imap_timeout_seconds,
        ca_file=str(settings.imap_ca_file) if settings.imap_ca_file else None,
    )
