import uuid

from fastapi import APIRouter, Request

from coldsend import errors
from coldsend.http.auth import Authorized, forget_key
from coldsend.http.deps import Session
from coldsend.http.extensions import EXTENSION_KEY
from coldsend.http.pagination import Cursor
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import GroupMemberStatus
from coldsend.models import WorkspaceGroupMember as WorkspaceGroupMemberRow
from coldsend.principal import Principal
from coldsend.workspace_group_members import service as group_member_service
from coldsend.workspace_group_members.schemas import (
    AdminWorkspace,
    WorkspaceGroupMember,
    WorkspaceGroupMemberCreate,
)

router = APIRouter(prefix="/api/v2/workspace-group-members", tags=["WorkspaceGroupMember"])

NO_ADMIN_WORKSPACE_NAME = "Undefined"


def _shown(
    member: WorkspaceGroupMemberRow, names: dict[uuid.UUID, str], *, viewer: uuid.UUID
) -> WorkspaceGroupMember:
    # Until the sub workspace accepts, inviting it must not tell the admin side anything about it.
    sub_name_shown = member.status == GroupMemberStatus.ACCEPTED or viewer == member.sub_workspace_id
    return WorkspaceGroupMember(
        id=member.id,
        admin_workspace_id=member.admin_workspace_id,
        sub_workspace_id=member.sub_workspace_id,
        status=GroupMemberStatus(member.status),
        timestamp_created=member.timestamp_created,
        timestamp_updated=member.timestamp_updated,
        sub_workspace_name=names.get(member.sub_workspace_id) if sub_name_shown else None,
        admin_workspace_name=names.get(member.admin_workspace_id),
    )


async def _one_shown(
    session: Session, member: WorkspaceGroupMemberRow, *, viewer: uuid.UUID
) -> WorkspaceGroupMember:
    return _shown(member, await group_member_service.workspace_names(session, [member]), viewer=viewer)


@router.post(
    "",
    operation_id="createWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    responses=doc(errors.BadRequest, errors.NotFound, errors.Conflict),
)
async def create_workspace_group_member(
    body: WorkspaceGroupMemberCreate, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Create workspace group member

    Invites `sub_workspace_id` into the calling (admin) workspace's group. The invitation stays `pending`
    until the sub workspace answers, with a key of its own (`POST /workspace-group-members/{id}/accept` or
    `/reject`) or through its owner's `coldsend workspace accept-invite <id>` (or `reject-invite`). Until
    then the sub workspace's name is not shown, and the invitation binds only the admin side: it blocks
    neither the sub workspace's real admin nor the sub workspace's own group (409 only once accepted).
    """
    member = await group_member_service.invite(
        session, admin_workspace_id=principal.workspace_id, sub_workspace_id=body.sub_workspace_id
    )
    return await _one_shown(session, member, viewer=principal.workspace_id)


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
        items=[_shown(member, names, viewer=principal.workspace_id) for member in members],
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
    responses=doc(errors.NotFound),
)
async def get_workspace_group_member(
    id: uuid.UUID, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Get workspace group member"""
    member = await group_member_service.get(session, workspace_id=principal.workspace_id, member_id=id)
    if member is None:
        raise errors.NotFound()
    return await _one_shown(session, member, viewer=principal.workspace_id)


@router.delete(
    "/{id}",
    operation_id="deleteWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    responses=doc(errors.NotFound),
)
async def delete_workspace_group_member(
    id: uuid.UUID, request: Request, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Delete workspace group member

    Either side may delete: the admin workspace drops a sub workspace, or the sub workspace leaves. The API
    keys the admin workspace made inside the sub workspace (through x-as-workspace, or with such a key)
    are revoked with the link.
    """
    member = await group_member_service.get(session, workspace_id=principal.workspace_id, member_id=id)
    if member is None:
        raise errors.NotFound()
    shown = await _one_shown(session, member, viewer=principal.workspace_id)
    for key_hash in await group_member_service.delete(session, member):
        forget_key(request, key_hash)
    return shown


async def _answer(
    id: uuid.UUID, principal: Principal, session: Session, *, accept: bool
) -> WorkspaceGroupMember:
    if principal.acting_as_admin or principal.key_admin_workspace_id is not None:
        # Only the sub workspace itself may consent, never a key its (would-be) admin controls.
        raise errors.Forbidden("Only a key of the invited workspace itself can answer its invitation")
    member = await group_member_service.answer_invitation(
        session, member_id=id, accept=accept, sub_workspace_id=principal.workspace_id
    )
    return await _one_shown(session, member, viewer=principal.workspace_id)


ANSWER_NOTES = (
    "Coldsend extension: the invited (sub) workspace's own key answers a pending invitation; "
    "x-as-workspace and keys made by an admin workspace are refused (403)"
)


@router.post(
    "/{id}/accept",
    operation_id="acceptWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    openapi_extra={EXTENSION_KEY: True, "x-coldsend-notes": ANSWER_NOTES},
    responses=doc(errors.Forbidden, errors.NotFound, errors.Conflict),
)
async def accept_workspace_group_member(
    id: uuid.UUID, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Accept an invitation into an admin workspace's group

    Called with a key of the invited workspace; from then on the admin workspace's keys act on it with
    x-as-workspace. 409 when the invitation is not pending or the workspace is already in a group.
    """
    return await _answer(id, principal, session, accept=True)


@router.post(
    "/{id}/reject",
    operation_id="rejectWorkspaceGroupMember",
    response_model=WorkspaceGroupMember,
    openapi_extra={EXTENSION_KEY: True, "x-coldsend-notes": ANSWER_NOTES},
    responses=doc(errors.Forbidden, errors.NotFound, errors.Conflict),
)
async def reject_workspace_group_member(
    id: uuid.UUID, principal: Authorized, session: Session
) -> WorkspaceGroupMember:
    """Reject an invitation into an admin workspace's group"""
    return await _answer(id, principal, session, accept=False)
