"""Query-parameter shapes the routers share: free text trimmed, comma-separated lists split.

NUL characters never reach these: every API route refuses them first (`http/nul.py`).
"""


def trimmed(value: str | None) -> str | None:
    """A text parameter without surrounding space; None when absent or blank."""
    return (value or "").strip() or None


def comma_list(value: str | None) -> list[str] | None:
    """`a, b,c` as `["a", "b", "c"]` (blank parts dropped); None when the parameter is absent."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]
