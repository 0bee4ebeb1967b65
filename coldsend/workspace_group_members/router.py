import uuid

from fastapi import APIRouter

from coldsend.api import errors
from coldsend.api.auth import Authorized
from coldsend.api.deps import Session
from coldsend.api.pagination import Cursor
from coldsend.api.schemas import Page
from coldsend.models import WorkspaceGroupMember as WorkspaceGroupMemberRow
from coldsend.workspace_group_members import service as group_member_service
from coldsend.workspace_group_members.schemas import (
    AdminWorkspace,
    GroupMemberStatus,
    WorkspaceGroupMember,
    WorkspaceGroupMemberCreate,
)

router = APIRouter(prefix="/api/v2/workspace-group-members", tags=["WorkspaceGroupMember"])

NO_ADMIN_WORKSPACE_NAME = "Undefined"


def _shown(member: WorkspaceGroupMemberRow, names: dict[uuid.UUID, str]) -> WorkspaceGroupMember:
    return WorkspaceGroupMember(
        id=member.id,
        admin_workspace_id=member.admin_workspace_id,
        sub_workspace_id=member.sub_workspace_id,
        status=GroupMemberStatus(member.status),
        timestamp_created=member.timestamp_created,
        timestamp_updated=member.timestamp_updated,
        sub_workspace_name=names.get(member.sub_workspace_id),
        admin_workspace_name=names.get(member.admin_workspace_id),
    )


async def _one_shown(session: Session, member: WorkspaceGroupMemberRow) -> WorkspaceGroupMember:
    return _shown(member, await group_member_service.workspace_names(session, [member]))


@router.post(
    "",
    operation_id="createWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    responses=errors.doc(errors.BadRequest, errors.NotFound, errors.Conflict),
)
async def create_workspace_group_member(
    body: WorkspaceGroupMemberCreate, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Create workspace group member

    Invites `sub_workspace_id` into the calling (admin) workspace's group. The invitation is `accepted` at
    once when both workspaces have the same owner; otherwise it stays `pending` until the sub workspace's
    owner runs `coldsend workspace accept-invite <id>` (or `reject-invite`). A pending invitation already
    counts as a relationship: a workspace with one cannot be invited elsewhere or become an admin (409).
    """
    member = await group_member_service.invite(
        session, admin_workspace_id=principal.workspace_id, sub_workspace_id=body.sub_workspace_id
    )
    return await _one_shown(session, member)


@router.get("", operation_id="listWorkspaceGroupMember", response_model=Page[WorkspaceGroupMember])
async def list_workspace_group_members(
    principal: Authorized, session: Session, cursor: Cursor
) -> Page[WorkspaceGroupMember]:
    """List workspace group member

    Every row the current workspace is party to, oldest first: for an admin workspace its group's
    members (any status), for a sub workspace its own link or invitation.
    """
    members, more = await group_member_service.list_page(
        session, workspace_id=principal.workspace_id, limit=cursor.limit, after=cursor.after_uuid()
    )
    names = await group_member_service.workspace_names(session, members)
    return Page(
        items=[_shown(member, names) for member in members],
        next_starting_after=str(members[-1].id) if more else None,
    )


@router.get(
    "/admin",
    operation_id="getAdminWorkspaceGroupMember",
    response_model=AdminWorkspace,
    response_model_exclude_none=True,
)
async def get_admin_workspace_group_member(principal: Authorized, session: Session) -> AdminWorkspace:
    """Get the current workspace admin workspace

    Only an accepted link counts; a pending invitation shows up in the list, not here.
    """
    member = await group_member_service.admin_of(session, workspace_id=principal.workspace_id)
    if member is None:
        return AdminWorkspace(workspace_name=NO_ADMIN_WORKSPACE_NAME, has_admin_workspace=False)
    names = await group_member_service.workspace_names(session, [member])
    return AdminWorkspace(
        workspace_name=names.get(member.admin_workspace_id, NO_ADMIN_WORKSPACE_NAME),
        has_admin_workspace=True,
        workspace_group_member_id=str(member.id),
    )


@router.get(
    "/{id}",
    operation_id="getWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    responses=errors.doc(errors.NotFound),
)
async def get_workspace_group_member(
    id: uuid.UUID, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Get workspace group member"""
    member = await group_member_service.get(session, workspace_id=principal.workspace_id, member_id=id)
    if member is None:
        raise errors.NotFound()
    return await _one_shown(session, member)


@router.delete(
    "/{id}",
    operation_id="deleteWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    responses=errors.doc(errors.NotFound),
)
async def delete_workspace_group_member(
    id: uuid.UUID, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Delete workspace group member

    Either side may delete: the admin workspace drops a sub workspace, or the sub workspace leaves.
    """
    member = await group_member_service.get(session, workspace_id=principal.workspace_id, member_id=id)
    if member is None:
        raise errors.NotFound()
    shown = await _one_shown(session, member)
    await group_member_service.delete(session, member)
    return shown
