import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from coldsend.errors import ColdsendError
from coldsend.http.responses import error_body, reason
from coldsend.http.validation import ajv_message

log = logging.getLogger(__name__)


def error_response(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status_code, message), status_code=status_code, headers=headers)


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
