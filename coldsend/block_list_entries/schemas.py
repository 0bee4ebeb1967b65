import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from coldsend.addresses import normalize_email_or_domain
from coldsend.http.schemas import (
    OrganizationId,
    PatchModel,
    RequestModel,
    ResponseModel,
    Timestamp,
    refuse_null,
)

MAX_BULK = 1000
INVALID_VALUE = 'must match format "email" or "hostname"'


def _valid(value: str) -> str:
    try:
        return normalize_email_or_domain(value)
    except ValueError:
        raise PydanticCustomError("format", INVALID_VALUE, {"ajv": INVALID_VALUE}) from None


BlockValue = Annotated[str, AfterValidator(_valid)]


class BlockListEntry(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    organization_id: OrganizationId
    bl_value: str
    is_domain: bool


class BlockListEntryCreate(RequestModel):
    bl_value: BlockValue


class BlockListEntryUpdate(PatchModel):
    bl_value: BlockValue | None = None

    _not_null = refuse_null("bl_value")


class BlockListEntryBulkCreate(RequestModel):
    bl_values: list[str] = Field(min_length=1, max_length=MAX_BULK)


class BlockListEntryBulkDelete(RequestModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK)


class SkippedValue(BaseModel):
    bl_value: str
    reason: Literal["invalid", "duplicate"]


class BulkCreated(BaseModel):
    """Instantly's `{items, valid_count, invalid_count}`, plus `skipped`: each value not created, and why.

    `valid_count` counts valid values, created or already blocked (`duplicate`); `items` holds the
    created entries only.
    """

    items: list[BlockListEntry]
    valid_count: int
    invalid_count: int
    skipped: list[SkippedValue]
