import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from coldsend.api.validation import ajv_message

log = logging.getLogger(__name__)

# Fastify's reason phrases where they differ from Python's.
_REASONS = {413: "Payload Too Large"}


def reason(status_code: int) -> str:
    return _REASONS.get(status_code) or HTTPStatus(status_code).phrase


def error_body(status_code: int, message: str) -> dict[str, Any]:
    return {"statusCode": status_code, "error": reason(status_code), "message": message}


def error_response(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status_code, message), status_code=status_code, headers=headers)


class ColdsendError(Exception):
    """An expected failure; rendered as Instantly's `{statusCode, error, message}` envelope."""

    status_code = 500
    default_message = "Internal Server Error"

    def __init__(self, message: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.headers = headers
        super().__init__(self.message)


class BadRequest(ColdsendError):
    status_code = 400
    default_message = "Bad Request"


class Unauthorized(ColdsendError):
    status_code = 401
    default_message = "Missing Authorization header"


class PaymentRequired(ColdsendError):
    status_code = 402
    default_message = "Workspace does not have an active paid plan"


class Forbidden(ColdsendError):
    status_code = 403
    default_message = "Forbidden"


class NotFound(ColdsendError):
    status_code = 404
    default_message = "Resource not found"


class Conflict(ColdsendError):
    status_code = 409
    default_message = "Conflict"


class PayloadTooLarge(ColdsendError):
    status_code = 413
    default_message = "Payload Too Large"


class HeadersTooLarge(ColdsendError):
    status_code = 431
    default_message = "Request Header Fields Too Large"


class RateLimited(ColdsendError):
    status_code = 429
    default_message = "Rate limit exceeded"


class NotAvailable(ColdsendError):
    status_code = 501
    default_message = "This operation is not available on this server"


# What each status means, worded as the spec's responses are.
_DESCRIPTIONS = {
    400: "The request is invalid (e.g. missing required fields or invalid field values)",
    401: "The Authorization header is missing or invalid, or the API key has been revoked",
    402: "The workspace has no credits left for this operation",
    403: "This request is forbidden (the API key lacks the operation's scope)",
    404: "The requested resource was not found",
    429: "You have exceeded the rate limit",
    501: "This operation is not available on this server",
}
# A message more telling than the default, where the default is just the reason phrase.
_EXAMPLES = {400: "body must have required property 'name'"}


def envelope_schema(status_code: int, example: str) -> dict[str, Any]:
    """JSON Schema of the envelope for one status, as the spec writes its error responses."""
    return {
        "type": "object",
        "properties": {
            "statusCode": {"type": "number", "enum": [status_code], "example": status_code},
            "error": {"type": "string", "enum": [reason(status_code)], "example": reason(status_code)},
            "message": {"type": "string", "example": example},
        },
        "required": ["statusCode", "error", "message"],
    }


def doc(*errors: type[ColdsendError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors a route can raise."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        code = error.status_code
        example = _EXAMPLES.get(code, error.default_message)
        responses[code] = {
            "description": _DESCRIPTIONS.get(code, reason(code)),
            "content": {"application/json": {"schema": envelope_schema(code, example)}},
        }
    return responses


async def _coldsend_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ColdsendError)
    return error_response(exc.status_code, exc.message, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, ajv_message(exc.errors()))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else reason(exc.status_code)
    if exc.status_code == 404:
        message = "Route not found"
    return error_response(exc.status_code, message, dict(exc.headers) if exc.headers else None)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal Server Error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ColdsendError, _coldsend_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
