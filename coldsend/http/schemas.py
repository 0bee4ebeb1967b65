"""Base classes for every resource's request and response shapes."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from coldsend.clock import iso_z

Timestamp = Annotated[datetime, PlainSerializer(iso_z, return_type=str, when_used="json")]

T = TypeVar("T")

# A row's workspace under the name Instantly shows it by: read from the ORM row's `workspace_id`, or from a
# dict or a row labelled with the field's own name.
OrganizationId = Annotated[uuid.UUID, Field(validation_alias=AliasChoices("organization_id", "workspace_id"))]
Organization = Annotated[uuid.UUID, Field(validation_alias=AliasChoices("organization", "workspace_id"))]


def column(name: str, *, shown_as: str) -> Any:
    """A response field `shown_as` read from the ORM row's attribute `name` (or a dict's `shown_as`)."""
    return Field(validation_alias=AliasChoices(shown_as, name))


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
