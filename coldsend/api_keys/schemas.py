import uuid
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from coldsend.http.operations import GRANTABLE_SCOPES
from coldsend.http.schemas import OrganizationId, RequestModel, ResponseModel, Timestamp


def _grantable(scope: str) -> str:
    if scope not in GRANTABLE_SCOPES:
        message = "must be equal to one of the allowed values"
        raise PydanticCustomError("enum", message, {"ajv": message})
    return scope


Scope = Annotated[str, AfterValidator(_grantable)]


class APIKey(ResponseModel):
    id: uuid.UUID
    name: str
    scopes: list[str]
    key: str
    organization_id: OrganizationId
    timestamp_created: Timestamp
    timestamp_updated: Timestamp


class APIKeyCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)
