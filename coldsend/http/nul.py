"""One refusal of NUL characters for every string a request carries: path, query string and JSON body.

PostgreSQL text cannot hold NUL, so such a string fails in the database (a 500) wherever it reaches a
query, and SQLite stores it. The check runs once per request, before the handler, and names the first
field that carries one, worded as the schemas' NoNul pattern.
"""

from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from coldsend.errors import BadRequest
from coldsend.http.validation import NO_NUL

NUL = "\x00"
_JSON_NUL = b"\\u0000"  # a JSON string can hold NUL only as this escape


def _first_nul(document: Any) -> list[str] | None:
    """The path of the first string (value or key) holding NUL; iterative, as JSON nests deeper than
    Python's recursion limit."""
    stack: list[tuple[list[str], Any]] = [([], document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path
        elif isinstance(value, dict):
            if any(NUL in key for key in value):
                return path
            stack.extend((path + [key], item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((path + [str(index)], item) for index, item in reversed(list(enumerate(value))))
    return None


async def _body_nul(request: Request) -> list[str] | None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None  # a route without a body never reads it
    if _JSON_NUL not in await request.body():  # read and parsed already by FastAPI; this scan is cheap
        return None
    try:
        document = await request.json()
    except ValueError:
        return None  # not JSON: FastAPI's own validation answers it
    return _first_nul(document)


async def refuse_nul(request: Request) -> None:
    """BadRequest naming the first path parameter, query parameter or body field holding NUL."""
    for name, value in request.path_params.items():
        if NUL in str(value):
            raise BadRequest(f"params/{name} {NO_NUL}")
    for name, value in request.query_params.multi_items():
        if NUL in name:
            raise BadRequest(f"querystring {NO_NUL}")
        if NUL in value:
            raise BadRequest(f"querystring/{name} {NO_NUL}")
    path = await _body_nul(request)
    if path is not None:
        raise BadRequest(f"{'/'.join(['body', *path])} {NO_NUL}")
