import uuid

from coldsend.http.schemas import RequestModel, ResponseModel, Timestamp
from coldsend.models import GroupMemberStatus


class WorkspaceGroupMember(ResponseModel):
    id: uuid.UUID
    admin_workspace_id: uuid.UUID
    sub_workspace_id: uuid.UUID
    status: GroupMemberStatus
    timestamp_created: Timestamp
    timestamp_updated: Timestamp
    sub_workspace_name: str | None = None
    admin_workspace_name: str | None = None


class WorkspaceGroupMemberCreate(RequestModel):
    sub_workspace_id: uuid.UUID


class AdminWorkspace(ResponseModel):
    workspace_name: str
    has_admin_workspace: bool
    workspace_group_member_id: str | None = None
