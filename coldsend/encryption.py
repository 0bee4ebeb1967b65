"""Mailbox passwords and DKIM keys at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived
from the settings' secret key, so a copied database alone reveals no credential."""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from coldsend.config import Settings

__all__ = ["InvalidToken", "decrypt", "encrypt"]

_CONTEXT = b"coldsend/account-secrets/v1"


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    derived = hashlib.pbkdf2_hmac("sha256", secret_key.encode(), _CONTEXT, 100_000)
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(settings: Settings, plaintext: str) -> str:
    return _fernet(settings.effective_secret_key()).encrypt(plaintext.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    """The plaintext; raises `InvalidToken` when the secret key changed since it was stored."""
    return _fernet(settings.effective_secret_key()).decrypt(token.encode()).decode()
