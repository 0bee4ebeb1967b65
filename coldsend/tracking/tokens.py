"""Signed tracking and unsubscribe URLs.

Each URL names a `send` row and carries an HMAC-SHA256 tag over (purpose, send id[, target URL]) under
a key derived from the settings' secret key for this use only. A click tag covers the exact target,
so the redirect can only lead where the email linked; a tag for one purpose is worthless for another.
"""

import base64
import hashlib
import hmac
import uuid
from functools import lru_cache
from urllib.parse import quote, urlsplit, urlunsplit

from coldsend.config import Settings

OPEN_PATH = "/t/open"
CLICK_PATH = "/t/click"
UNSUBSCRIBE_PATH = "/t/unsubscribe"
_CONTEXT = b"coldsend/tracking-links/v1"
_TAG_BYTES = 16


class Purpose:
    OPEN = b"open"
    CLICK = b"click"
    UNSUBSCRIBE = b"unsubscribe"


@lru_cache(maxsize=8)
def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _CONTEXT, hashlib.sha256).digest()


def _tag(settings: Settings, purpose: bytes, send_id: uuid.UUID, target: str = "") -> str:
    message = b"\0".join((purpose, send_id.bytes, target.encode()))
    digest = hmac.new(_key(settings.effective_secret_key()), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_TAG_BYTES]).rstrip(b"=").decode()


def make_token(settings: Settings, purpose: bytes, send_id: uuid.UUID, target: str = "") -> str:
    return f"{send_id.hex}.{_tag(settings, purpose, send_id, target)}"


def verify_token(settings: Settings, purpose: bytes, token: str, target: str = "") -> uuid.UUID | None:
    """The send id the token names, or None if it is malformed or its tag does not match."""
    send_hex, dot, tag = token.partition(".")
    if not dot or len(send_hex) != 32 or len(tag) > 64:
        return None
    try:
        send_id = uuid.UUID(hex=send_hex)
    except ValueError:
        return None
    expected = _tag(settings, purpose, send_id, target)
    return send_id if hmac.compare_digest(expected.encode(), tag.encode()) else None


def _base(settings: Settings, base_url: str | None) -> str:
    return (base_url or settings.effective_public_url()).rstrip("/")


def tracking_base_url(settings: Settings, tracking_domain: str | None) -> str:
    """Where an account's tracking links point: the public URL, with the account's custom tracking
    domain as its host when it has one (that domain is a CNAME of the public host, so the scheme, port
    and path stay)."""
    public = settings.effective_public_url()
    if not tracking_domain:
        return public
    parts = urlsplit(public)
    host = tracking_domain.strip().rstrip(".").lower()
    return urlunsplit(parts._replace(netloc=host if parts.port is None else f"{host}:{parts.port}"))


def open_url(settings: Settings, send_id: uuid.UUID, *, base_url: str | None = None) -> str:
    """The open pixel's URL; `base_url` overrides the public URL (e.g. an account's tracking domain)."""
    return f"{_base(settings, base_url)}{OPEN_PATH}/{make_token(settings, Purpose.OPEN, send_id)}"


def click_url(settings: Settings, send_id: uuid.UUID, url: str, *, base_url: str | None = None) -> str:
    token = make_token(settings, Purpose.CLICK, send_id, url)
    return f"{_base(settings, base_url)}{CLICK_PATH}/{token}?url={quote(url, safe='')}"


def unsubscribe_url(settings: Settings, send_id: uuid.UUID, *, base_url: str | None = None) -> str:
    token = make_token(settings, Purpose.UNSUBSCRIBE, send_id)
    return f"{_base(settings, base_url)}{UNSUBSCRIBE_PATH}/{token}"
