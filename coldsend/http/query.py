"""Query-parameter helpers routers share."""


def comma_list(value: str | None) -> list[str] | None:
    """`id1,id2,id3` as a list; None when the parameter is absent or holds no ids."""
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",") if part.strip()]
    return parts or None
