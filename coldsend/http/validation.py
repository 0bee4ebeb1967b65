"""Pydantic validation errors rendered as the AJV messages Instantly's Fastify server sends."""

import difflib
from collections.abc import Sequence
from typing import Any

from pydantic import Field

# PostgreSQL text cannot hold NUL. Fields refuse it with this pattern, checked inside pydantic-core with no
# Python call per field (a bulk add has thousands of strings), and worded as NO_NUL.
NO_NUL_PATTERN = "^[^\x00]*$"
NO_NUL = "must not contain NUL characters"
NoNul = Field(pattern=NO_NUL_PATTERN)

ALLOWED = "must be equal to one of the allowed values"
# Enums longer than this (timezones: 102) are shown by a few values, close matches and where the list is.
_ALLOWED_SHOWN = 30
_ALLOWED_EXAMPLES = 5
# Other missing properties named after the first error; a bulk body can miss thousands.
_MISSING_SHOWN = 20

_LOCATIONS = {"body": "body", "query": "querystring", "path": "params", "header": "headers"}

_TYPE_NAMES = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "decimal_type": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "array",
    "tuple_type": "array",
    "set_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "none_required": "null",
}

_FORMATS = {
    "uuid_parsing": "uuid",
    "uuid_type": "uuid",
    "uuid_version": "uuid",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "datetime_parsing": "date-time",
    "datetime_from_date_parsing": "date-time",
    "url_parsing": "uri",
    "url_scheme": "uri",
    "url_type": "uri",
}


def _path(loc: Sequence[str | int]) -> tuple[str, list[str]]:
    root = _LOCATIONS.get(str(loc[0]), str(loc[0])) if loc else "body"
    return root, [str(part) for part in loc[1:]]


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """(instance path, AJV message) for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    root, parts = _path(error.get("loc", ()))
    if kind == "json_invalid":
        return "body", "is not valid JSON"
    if kind == "missing":
        if not parts:
            return root, "must be object"
        return "/".join([root, *parts[:-1]]), f"must have required property '{parts[-1]}'"
    if kind == "extra_forbidden":
        return "/".join([root, *parts[:-1]]), "must NOT have additional properties"
    where = "/".join([root, *parts])
    if "ajv" in ctx:
        return where, str(ctx["ajv"])
    if kind in _TYPE_NAMES:
        return where, f"must be {_TYPE_NAMES[kind]}"
    if kind in _FORMATS:
        return where, f'must match format "{_FORMATS[kind]}"'
    if kind in ("enum", "literal_error"):
        hint = _allowed_hint(str(ctx.get("expected", "")), error.get("input"))
        return where, f"must be equal to one of the allowed values ({hint})" if hint else ALLOWED
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        ops = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }
        bound = next(v for k, v in ctx.items() if k in ("ge", "gt", "le", "lt"))
        return where, f"must be {ops[kind]} {bound}"
    if kind == "string_too_short":
        return where, f"must NOT have fewer than {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return where, f"must NOT have more than {ctx.get('max_length')} characters"
    if kind == "too_short":
        return where, f"must NOT have fewer than {ctx.get('min_length')} items"
    if kind == "too_long":
        return where, f"must NOT have more than {ctx.get('max_length')} items"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == NO_NUL_PATTERN:
            return where, NO_NUL
        return where, f'must match pattern "{ctx.get("pattern")}"'
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return where, 'must match format "email"'
    message = str(error.get("msg", "is invalid"))
    return where, message.removeprefix("Value error, ")


def _allowed_values(expected: str) -> list[str]:
    """pydantic's `'a', 'b' or 'c'` (values as their repr) back into the values' reprs."""
    head, _, last = expected.rpartition(" or ")
    return [*head.split(", "), last] if head else [last]


def _allowed_hint(expected: str, given: object) -> str:
    if not expected:
        return ""
    values = _allowed_values(expected)
    if len(values) <= _ALLOWED_SHOWN:
        return f"allowed: {', '.join(values)}"
    close = difflib.get_close_matches(repr(given), values, n=3)
    shown = ", ".join(close or values[:_ALLOWED_EXAMPLES])
    intro = "closest" if close else "e.g."
    return f"{len(values)} allowed, {intro} {shown}; the full list is this field's enum in /openapi.json"


def ajv_message(errors: Sequence[Any]) -> str:
    """The first error, as AJV words it: `body must have required property 'name'`; then, as AJV's
    errorsText joins them, every other missing required property, so one call tells them all."""
    if not errors:
        return "Bad Request"
    first = dict(errors[0])
    messages = [" ".join(_describe(first))]
    missing = [dict(error) for error in errors[1:] if error["type"] == "missing"]
    messages += [" ".join(_describe(error)) for error in missing[:_MISSING_SHOWN]]
    if len(missing) > _MISSING_SHOWN:
        messages.append(f"and {len(missing) - _MISSING_SHOWN} more missing properties")
    return ", ".join(messages)
