import uuid
from typing import Any

from pydantic import BaseModel, EmailStr, Field

from coldsend.http.schemas import PatchModel, ResponseModel, Timestamp, refuse_null


class Workspace(ResponseModel):
    id: uuid.UUID
    timestamp_created: Timestamp
    timestamp_updated: Timestamp
    scheduled_for_removal_at: Timestamp | None
    owner: uuid.UUID = Field(validation_alias="owner_id", description="User ID of the workspace owner")
    name: str
    plan_id: str | None
    plan_id_bundle: str | None = None
    add_unsub_to_block: bool | None
    default_opportunity_value: float | None
    plan_id_leadfinder: str | None = None
    plan_id_verification: dict[str, Any] = Field(
        default_factory=dict, description="Plan for the verification service; empty: none"
    )
    org_logo_url: str | None
    org_client_domain: str | None
    plan_id_crm: str | None = None
    plan_id_website_visitor: str | None = None
    plan_id_inbox_placement: str | None = None


class WorkspaceUpdate(PatchModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    org_logo_url: str | None = Field(default=None, max_length=2048)

    _name_not_null = refuse_null("name")


class WhitelabelDomainSet(BaseModel):
    domain: str = Field(max_length=253, description="The agency domain to set for the workspace")


class DomainVerification(BaseModel):
    type: str
    domain: str
    value: str
    reason: str


class WhitelabelDomainInfo(BaseModel):
    verified: bool
    name: str
    verification: list[DomainVerification]


class OwnerChange(BaseModel):
    email: EmailStr
    # Coldsend has no user passwords or emailed security tokens, so `sec` is a typed confirmation
    # instead: the id of the workspace being handed over, which guards against the wrong key or
    # x-as-workspace header giving a workspace away.
    sec: str
