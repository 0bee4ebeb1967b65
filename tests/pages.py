"""Walking a cursor-paginated list to its end."""

from typing import Any

import httpx


async def collect_pages(
    client: httpx.AsyncClient, path: str, *, limit: int, params: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Every item of every page, in order, and the number of pages it took."""
    items: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = {**(params or {}), "limit": limit, **({"starting_after": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        items.extend(body["items"])
        cursor = body.get("next_starting_after")
        if cursor is None:
            return items, pages
