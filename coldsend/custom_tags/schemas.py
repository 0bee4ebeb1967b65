import uuid
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from coldsend.accounts.schemas import AccountFilter
from coldsend.http.schemas import (
    OrganizationId,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
    refuse_null,
)
from coldsend.models import ResourceType

LABEL_MAX_LENGTH = 200
# AJV's `pattern`: the label holds at least one non-blank character.
LABEL_PATTERN = r".*\S.*"
NO_TAG = "no-tag"


class CustomTag(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_updated: Timestamp
    organization_id: OrganizationId
    label: str
    description: str | None


class CustomTagCreate(RequestModel):
    label: str = Field(min_length=1, max_length=LABEL_MAX_LENGTH, pattern=LABEL_PATTERN)
    description: str | None = None


class CustomTagUpdate(PatchModel):
    label: str | None = Field(default=None, min_length=1, max_length=LABEL_MAX_LENGTH, pattern=LABEL_PATTERN)
    description: str | None = None

    _label_not_null = refuse_null("label")


class SelectionFilter(RequestModel):
    """The object form of `filter`: status, tag and search criteria, all of which must hold."""

    tag_id: uuid.UUID | Literal["no-tag"] | None = None
    tag_ids: list[uuid.UUID] | None = Field(default=None, min_length=1)
    tag_ids_all: list[uuid.UUID] | None = Field(default=None, min_length=1)
    filter: AccountFilter | None = None
    search: str | None = None


class ToggleTagResource(RequestModel):
    tag_ids: list[uuid.UUID] = Field(min_length=1)
    resource_type: ResourceType
    resource_ids: list[str] | None = Field(default=None, min_length=1)
    excluded_resource_ids: list[str] | None = Field(default=None, min_length=1)
    assign: bool
    selected_all: bool = False
    filter: AccountFilter | SelectionFilter | None = None
    search: str | None = None

    @field_validator("filter", mode="wrap")
    @classmethod
    def _one_of(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            message = "must match exactly one schema in oneOf"
            raise PydanticCustomError("one_of", message, {"ajv": message}) from None

    @model_validator(mode="after")
    def _resource_ids_unless_selected_all(self) -> "ToggleTagResource":
        if not self.selected_all and self.resource_ids is None:
            message = "must have required property 'resource_ids'"
            raise PydanticCustomError("missing_resource_ids", message, {"ajv": message})
        return self

    def status_filter(self) -> AccountFilter | None:
        return self.filter.filter if isinstance(self.filter, SelectionFilter) else self.filter

    def search_term(self) -> str | None:
        if self.search is not None:
            return self.search
        return self.filter.search if isinstance(self.filter, SelectionFilter) else None


class ToggleResult(BaseModel):
    success: bool
