"""The providers a mailbox connects through, each on the operator's own OAuth app (README, "OAuth
mailboxes"): its endpoints, the scopes asked for, and the mail servers a new account gets."""

from dataclasses import dataclass, field
from typing import Literal, get_args

from coldsend.config import Settings
from coldsend.errors import BadRequest, NotFound
from coldsend.mail.tls import TlsMode, implicit_tls_mode
from coldsend.models import ProviderCode

ProviderName = Literal["google", "microsoft"]
PROVIDER_NAMES: tuple[ProviderName, ...] = get_args(ProviderName)
CALLBACK_PATH = "/oauth/callback"

GOOGLE_MAIL = "https://mail.google.com/"
OUTLOOK_SMTP = "https://outlook.office.com/SMTP.Send"
OUTLOOK_IMAP = "https://outlook.office.com/IMAP.AccessAsUser.All"
IDENTITY_SCOPES = ("openid", "email", "profile")


@dataclass(frozen=True)
class Server:
    host: str
    port: int

    @classmethod
    def parse(cls, value: str) -> "Server":
        host, _, port = value.rpartition(":")  # checked by the settings
        return cls(host=host, port=int(port))

    @property
    def tls(self) -> TlsMode:
        return implicit_tls_mode(self.port)


@dataclass(frozen=True)
class Provider:
    name: ProviderName
    label: str
    code: ProviderCode
    client_id: str
    client_secret: str = field(repr=False)
    authorization_url: str
    token_url: str
    userinfo_url: str
    scopes: tuple[str, ...]
    mail_scopes: tuple[str, ...]  # what sending and reading need granted; the rest is identity
    authorization_params: tuple[tuple[str, str], ...]
    refresh_sends_scope: bool  # Microsoft wants the scopes again on a refresh
    smtp: Server
    imap: Server


def _missing(settings: Settings, name: ProviderName) -> list[str]:
    wanted = (f"{name}_client_id", f"{name}_client_secret")
    return [f"COLDSEND_{setting.upper()}" for setting in wanted if not getattr(settings, setting)]


def provider(settings: Settings, name: str) -> Provider:
    """The provider as configured; a 404 for an unknown name, a 400 naming the settings it still needs."""
    if name not in PROVIDER_NAMES:
        raise NotFound(f"Unknown OAuth provider {name!r}: google or microsoft")
    known: ProviderName = "google" if name == "google" else "microsoft"
    missing = _missing(settings, known)
    if missing:
        raise BadRequest(
            f"OAuth with {known.title()} is not configured on this server: set {' and '.join(missing)} "
            f'(your own OAuth app; the README\'s "OAuth mailboxes" says how to register it)'
        )
    return _google(settings) if known == "google" else _microsoft(settings)


def _secret(settings: Settings, name: str) -> str:
    secret = getattr(settings, f"{name}_client_secret")
    return secret.get_secret_value() if secret is not None else ""


def _google(settings: Settings) -> Provider:
    return Provider(
        name="google",
        label="Google",
        code=ProviderCode.GOOGLE,
        client_id=settings.google_client_id or "",
        client_secret=_secret(settings, "google"),
        authorization_url=settings.google_authorization_url,
        token_url=settings.google_token_url,
        userinfo_url=settings.google_userinfo_url,
        scopes=(GOOGLE_MAIL, *IDENTITY_SCOPES),
        mail_scopes=(GOOGLE_MAIL,),
        # A refresh token comes only with offline access, and again only when consent is asked again.
        authorization_params=(("access_type", "offline"), ("prompt", "consent")),
        refresh_sends_scope=False,
        smtp=Server.parse(settings.google_smtp_server),
        imap=Server.parse(settings.google_imap_server),
    )


def _microsoft(settings: Settings) -> Provider:
    tenant = settings.microsoft_tenant
    return Provider(
        name="microsoft",
        label="Microsoft",
        code=ProviderCode.MICROSOFT,
        client_id=settings.microsoft_client_id or "",
        client_secret=_secret(settings, "microsoft"),
        authorization_url=settings.microsoft_authorization_url.replace("{tenant}", tenant),
        token_url=settings.microsoft_token_url.replace("{tenant}", tenant),
        userinfo_url=settings.microsoft_userinfo_url,
        scopes=(OUTLOOK_SMTP, OUTLOOK_IMAP, "offline_access", *IDENTITY_SCOPES),
        mail_scopes=(OUTLOOK_SMTP, OUTLOOK_IMAP),
        authorization_params=(("response_mode", "query"), ("prompt", "select_account")),
        refresh_sends_scope=True,
        smtp=Server.parse(settings.microsoft_smtp_server),
        imap=Server.parse(settings.microsoft_imap_server),
    )


def redirect_uri(settings: Settings, name: ProviderName) -> str:
    """Where the provider sends the browser back: what the app registration must list, exactly."""
    return f"{settings.effective_public_url()}{CALLBACK_PATH}/{name}"


def missing_scopes(provider: Provider, granted: str | None) -> list[str]:
    """The mail scopes a grant lacks (a user may untick one on Google's consent screen); none when the
    provider did not say what it granted. Microsoft may name them without their resource prefix."""
    if granted is None:
        return []
    words = {word.lower() for word in granted.split()}
    return [
        scope
        for scope in provider.mail_scopes
        if scope.lower() not in words and scope.rpartition("/")[2].lower() not in words
    ]
