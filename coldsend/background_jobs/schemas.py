import uuid
from enum import StrEnum
from typing import Any

from pydantic import SerializerFunctionWrapHandler, model_serializer

from coldsend.http.schemas import ResponseModel, Timestamp

OBJECT_ID_PATTERN = "^[0-9a-f]{24}$"


class SortColumn(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class BackgroundJob(ResponseModel):
    id: str
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    type: str
    entity_id: str | None
    entity_type: str | None
    data: dict[str, Any]
    progress: int
    status: str
    created_at: Timestamp
    updated_at: Timestamp

    @model_serializer(mode="wrap")
    def _omit_missing_entity_type(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The spec types entity_type as a non-nullable string: leave it out rather than send null.
        shown: dict[str, Any] = handler(self)
        if shown.get("entity_type") is None:
            shown.pop("entity_type", None)
        return shown
