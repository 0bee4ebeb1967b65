import uuid
from enum import StrEnum
from typing import Any

from pydantic import SerializerFunctionWrapHandler, model_serializer

from coldsend.http.schemas import ResponseModel, Timestamp

OBJECT_ID_PATTERN = "^[0-9a-f]{24}$"


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    SUCCESS = "success"
    FAILED = "failed"
    DRAINING = "draining"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class JobType(StrEnum):
    """The spec's job types: the only ones the API shows. Internal types live next to their handlers."""

    MOVE_LEADS = "move-leads"
    IMPORT_LEADS = "import-leads"
    EXPORT_LEADS = "export-leads"
    UPDATE_WARMUP_ACCOUNTS = "update-warmup-accounts"
    RENAME_VARIABLE = "rename-variable"
    BROADCAST_AI_GENERATE = "broadcast-ai-generate"
    BROADCAST_WEBSITE_SCRAPE = "broadcast-website-scrape"
    IMPORT_SUBSCRIBERS_FROM_CRM = "import-subscribers-from-crm"
    RESYNC_SUBSCRIBER_CRM_TAGS = "resync-subscriber-crm-tags"


class EntityType(StrEnum):
    LIST = "list"
    CAMPAIGN = "campaign"
    WORKSPACE = "workspace"
    BROADCAST = "broadcast"
    SUBSCRIBER_GROUP_SYNC = "subscriber-group-sync"
    SUBSCRIBER_GROUP = "subscriber-group"


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
