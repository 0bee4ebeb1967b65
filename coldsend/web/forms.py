"""Form values → the API's request schemas, refused with the API's own validation messages."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from coldsend.errors import BadRequest
from coldsend.http.validation import ajv_message

M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], body: dict[str, Any]) -> M:
    """`body` validated as the API validates it; BadRequest with the same message otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise BadRequest(ajv_message(errors)) from None


def number(text: str) -> object:
    """A typed number, or the text itself so that the schema refuses it with its own message."""
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def filled(form: FormData, *names: str, numbers: tuple[str, ...] = ()) -> dict[str, Any]:
    """The named fields that were filled in, numbers typed."""
    values: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            values[name] = number(value.strip()) if name in numbers else value.strip()
    return values
