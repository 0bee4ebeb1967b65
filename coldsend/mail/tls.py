from typing import Literal, get_args

# ssl: implicit TLS; starttls: STARTTLS required; none: plain, never a password; cleartext: plain, with
# the password in the clear (both plain modes only when the account says so).
TlsMode = Literal["ssl", "starttls", "none", "cleartext"]
TLS_MODES: tuple[TlsMode, ...] = get_args(TlsMode)
IMPLICIT_TLS_PORTS = frozenset({465, 993})


def implicit_tls_mode(port: int) -> TlsMode:
    """The mode a port implies: implicit TLS on 465 (SMTP) and 993 (IMAP), STARTTLS anywhere else."""
    return "ssl" if port in IMPLICIT_TLS_PORTS else "starttls"
