import hashlib
import secrets

KEY_BYTES = 32


def generate_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def hash_key(key: str) -> str:
    """SHA-256 is enough here: keys are 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(key.encode()).hexdigest()
