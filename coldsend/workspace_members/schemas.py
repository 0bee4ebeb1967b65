import uuid

from pydantic import EmailStr, Field

from coldsend.http.schemas import PatchModel, RequestModel, ResponseModel, Timestamp, refuse_null
from coldsend.models import MemberPermission, MemberRole

NICKNAME_MAX_LENGTH = 80


class MemberName(ResponseModel):
    first: str
    last: str


class WorkspaceMember(ResponseModel):
    id: uuid.UUID
    email: str
    user_id: uuid.UUID
    user_email: str | None
    nickname: str | None
    name: MemberName
    role: MemberRole
    timestamp_created: Timestamp
    workspace_id: uuid.UUID
    accepted: bool
    issuer_id: uuid.UUID | None
    permissions: list[MemberPermission] | None


class WorkspaceMemberCreate(RequestModel):
    email: EmailStr
    user_email: EmailStr | None = None
    nickname: str | None = Field(default=None, max_length=NICKNAME_MAX_LENGTH)
    role: MemberRole
    permissions: list[MemberPermission] | None = None


class WorkspaceMemberUpdate(PatchModel):
    nickname: str | None = Field(default=None, max_length=NICKNAME_MAX_LENGTH)
    role: MemberRole | None = None

    _role_not_null = refuse_null("role")
