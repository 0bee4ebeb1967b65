"""Standard Webhooks signatures (https://www.standardwebhooks.com): the headers every delivery carries.

`webhook-id` is the delivery's id, the same on every retry, so a receiver deduplicates on it;
`webhook-timestamp` is when the attempt was signed; `webhook-signature` is `v1,` and the base64
HMAC-SHA256 of `id.timestamp.body` under the webhook's `whsec_` secret. After a rotation the previous
secret signs too, until `previous_secret_until`: space-separated signatures, any of which verifies.
The HMAC itself is the `standardwebhooks` package's, the reference implementation receivers use.
"""

import base64
import secrets
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from math import floor
from typing import Any

from standardwebhooks import Webhook as Signer

from coldsend import encryption
from coldsend.config import Settings
from coldsend.models import Webhook

SECRET_PREFIX = "whsec_"
USER_AGENT = "Coldsend-Webhooks"
CONTENT_TYPE = "application/json"


SECRET_BYTES = 24  # as Svix's: 192 bits, `whsec_` and 32 base64 characters


def new_secret() -> str:
    """A fresh `whsec_` secret: SECRET_BYTES random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Signer:
    return Signer(secret)


def signing_secrets(settings: Settings, webhook: Webhook, now: datetime) -> list[str]:
    """The webhook's secrets in plaintext, the current one first; raises encryption.InvalidToken when
    the server's secret key changed since they were stored."""
    found = [encryption.decrypt(settings, webhook.secret)]
    until = webhook.previous_secret_until
    if webhook.previous_secret and until is not None and now < until:
        found.append(encryption.decrypt(settings, webhook.previous_secret))
    return found


def signature(keys: list[str], message_id: str, timestamp: datetime, body: bytes) -> str:
    return " ".join(_signer(key).sign(message_id, timestamp, body) for key in keys)


def signed_headers(
    *,
    keys: list[str],
    message_id: str,
    timestamp: datetime,
    body: bytes,
    own: Mapping[str, Any] | None,
) -> dict[str, str]:
    """The webhook's own headers, then ours (which win over a same-named one of its own)."""
    ours = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(floor(timestamp.timestamp())),
        "webhook-signature": signature(keys, message_id, timestamp, body),
    }
    taken = {name.lower() for name in ours} | {"host", "content-length"}
    given = {str(name): str(value) for name, value in (own or {}).items() if str(name).lower() not in taken}
    return given | ours
