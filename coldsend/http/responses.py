from http import HTTPStatus
from typing import Any

from coldsend.errors import ColdsendError

# Fastify's reason phrases where they differ from Python's.
_REASONS = {413: "Payload Too Large"}


def reason(status_code: int) -> str:
    return _REASONS.get(status_code) or HTTPStatus(status_code).phrase


def error_body(status_code: int, message: str) -> dict[str, Any]:
    return {"statusCode": status_code, "error": reason(status_code), "message": message}


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
