import uuid
from enum import IntEnum

from coldsend.http.schemas import ResponseModel, Timestamp


class ResourceType(IntEnum):
    """What a tag is on. The spec's field text says the opposite; its enum table (followed here) says this."""

    ACCOUNT = 1
    CAMPAIGN = 2


class CustomTagMapping(ResponseModel):
    id: uuid.UUID
    tag_id: uuid.UUID
    resource_id: str
    resource_type: ResourceType
    timestamp_created: Timestamp
    organization_id: uuid.UUID
