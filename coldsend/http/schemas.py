"""Base classes for every resource's request and response shapes."""

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator, model_validator
from pydantic_core import PydanticCustomError

from coldsend.clock import iso_z

Timestamp = Annotated[datetime, PlainSerializer(iso_z, return_type=str, when_used="json")]

T = TypeVar("T")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RequestModel(BaseModel):
    """A request body with `additionalProperties: false`."""

    model_config = ConfigDict(extra="forbid")


class PatchModel(RequestModel):
    """A PATCH body: `minProperties: 1`, so `{}` is a 400."""

    @model_validator(mode="after")
    def _at_least_one_property(self) -> "PatchModel":
        if not self.model_fields_set:
            message = "must NOT have fewer than 1 properties"
            raise PydanticCustomError("min_properties", message, {"ajv": message})
        return self


def refuse_null(*fields: str) -> Any:
    """A validator for optional fields that are not nullable: an explicit null is refused like AJV does."""

    def check(_cls: type[BaseModel], value: T | None) -> T:
        if value is None:
            raise PydanticCustomError("string_type", "must be string", {"ajv": "must be string"})
        return value

    return field_validator(*fields)(classmethod(check))


class Page(BaseModel, Generic[T]):
    """`{items, next_starting_after}`; the cursor is left out on the last page."""

    items: list[T]
    next_starting_after: str | None = Field(default=None, exclude_if=lambda cursor: cursor is None)
