from typing import Literal

TlsMode = Literal["ssl", "starttls", "none"]
