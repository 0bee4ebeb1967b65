from typing import Literal, get_args

# ssl: implicit TLS; starttls: STARTTLS required; none: plain, never a password; cleartext: plain, with
# the password in the clear (both plain modes only when the account says so).
TlsMode = Literal["ssl", "starttls", "none", "cleartext"]
TLS_MODES: tuple[TlsMode, ...] = get_args(TlsMode)
