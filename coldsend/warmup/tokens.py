"""The signed token each warmup message carries in a header, naming its row: a message is recognised as
warmup by it, or (where a provider strips custom headers) by its recorded Message-ID and recipient."""

import base64
import email
import email.policy
import hashlib
import hmac
import uuid
from functools import lru_cache

from coldsend.config import Settings

HEADER = "X-Coldsend-Warmup"
_CONTEXT = b"coldsend/warmup-token/v1"
_TAG_BYTES = 12


@lru_cache(maxsize=8)
def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _CONTEXT, hashlib.sha256).digest()


def _tag(settings: Settings, message_row: uuid.UUID) -> str:
    digest = hmac.new(_key(settings.effective_secret_key()), message_row.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_TAG_BYTES]).rstrip(b"=").decode()


def make(settings: Settings, message_row: uuid.UUID) -> str:
    return f"{message_row.hex}.{_tag(settings, message_row)}"


def verify(settings: Settings, token: str | None) -> uuid.UUID | None:
    """The warmup message row the token names, or None when it is absent, malformed or forged."""
    if not token:
        return None
    row_hex, dot, tag = token.strip().partition(".")
    if not dot or len(row_hex) != 32 or len(tag) > 64:
        return None
    try:
        row = uuid.UUID(hex=row_hex)
    except ValueError:
        return None
    return row if hmac.compare_digest(_tag(settings, row).encode(), tag.encode()) else None


def token_in(raw: bytes) -> str | None:
    """The token header of a raw message (its header block is enough), if it has one."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    value = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32).get(HEADER)
    return str(value).strip() if value else None
