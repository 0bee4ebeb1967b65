import uuid

from coldsend.http.schemas import OrganizationId, ResponseModel, Timestamp
from coldsend.models import ResourceType


class CustomTagMapping(ResponseModel):
    id: uuid.UUID
    tag_id: uuid.UUID
    resource_id: str
    resource_type: ResourceType
    timestamp_created: Timestamp
    organization_id: OrganizationId
