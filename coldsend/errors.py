"""The expected failures services raise; api/errors.py renders them as the HTTP envelope."""


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
