"""Limits checked before any route runs: the size of the headers and of the body, and, on /api/v2, the API
key. A route only reads its body after that, so an anonymous caller cannot make the server receive, buffer
and parse one, and nobody can make it hold more than `max_request_bytes` of it.
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coldsend.api.errors import error_response
from coldsend.config import Settings
from coldsend.errors import BadRequest, ColdsendError, HeadersTooLarge, PayloadTooLarge
from coldsend.http.auth import AUTHENTICATED_KEY, authenticate_header

API_PREFIX = "/api/v2"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without (or beyond) its Content-Length passes the limit.

    An HTTPException, so that FastAPI's body reading lets it through and the envelope handler renders it.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(PayloadTooLarge.status_code, f"Request body is larger than {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise BadRequest("headers/content-length must be a non-negative integer")
            return int(value)
    return None


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value).decode("latin-1")
    return None


def _needs_key(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class RequestLimits:
    """Pure ASGI middleware (no BaseHTTPMiddleware: that would read the body first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        try:
            await self._check(scope, settings)
        except ColdsendError as error:
            await error_response(error.status_code, error.message, error.headers)(scope, receive, send)
            return
        await self.app(scope, _limited(receive, settings.max_request_bytes), send)

    async def _check(self, scope: Scope, settings: Settings) -> None:
        header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
        if header_bytes > settings.max_header_bytes:
            raise HeadersTooLarge(f"Request headers are larger than {settings.max_header_bytes} bytes")
        length = _content_length(scope)
        if length is not None and length > settings.max_request_bytes:
            raise PayloadTooLarge(f"Request body is larger than {settings.max_request_bytes} bytes")
        if _needs_key(scope["path"]):
            record = await authenticate_header(scope["app"].state, _header(scope, b"authorization"))
            scope.setdefault("state", {})[AUTHENTICATED_KEY] = record


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_within_limit
