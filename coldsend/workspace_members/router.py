import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import errors
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import User
from coldsend.models import WorkspaceMember as WorkspaceMemberRow
from coldsend.principal import Principal
from coldsend.workspace_members import service as member_service
from coldsend.workspace_members.schemas import (
    MemberName,
    WorkspaceMember,
    WorkspaceMemberCreate,
    WorkspaceMemberUpdate,
)

router = APIRouter(prefix="/api/v2/workspace-members", tags=["WorkspaceMember"])


def _shown(member: WorkspaceMemberRow, user: User | None) -> WorkspaceMember:
    return WorkspaceMember(
        id=member.id,
        email=member.email,
        user_id=member.user_id,
        user_email=member.user_email,
        nickname=member.nickname,
        name=MemberName(first=user.first_name if user else "", last=user.last_name if user else ""),
        role=member.role,
        timestamp_created=member.timestamp_created,
        workspace_id=member.workspace_id,
        accepted=member.accepted,
        issuer_id=member.issuer_id,
        permissions=member.permissions,
    )


async def _shown_all(session: AsyncSession, members: Sequence[WorkspaceMemberRow]) -> list[WorkspaceMember]:
    users = await member_service.users_of(session, members)
    return [_shown(member, users.get(member.user_id)) for member in members]


async def _shown_one(session: AsyncSession, member: WorkspaceMemberRow) -> WorkspaceMember:
    return _shown(member, await session.get(User, member.user_id))


async def _found(session: AsyncSession, principal: Principal, member_id: uuid.UUID) -> WorkspaceMemberRow:
    member = await member_service.get(session, workspace_id=principal.workspace_id, member_id=member_id)
    if member is None:
        raise errors.NotFound()
    return member


@router.post(
    "",
    operation_id="createWorkspaceMember",
    response_model=WorkspaceMember,
    responses=doc(errors.BadRequest),
    openapi_extra={"x-coldsend-notes": "An email already in the workspace is a 400"},
)
async def create_workspace_member(
    body: WorkspaceMemberCreate, principal: Authorized, session: Session
) -> WorkspaceMember:
    """Create workspace member"""
    member = await member_service.create(session, workspace_id=principal.workspace_id, member_in=body)
    return await _shown_one(session, member)


@router.get("", operation_id="listWorkspaceMember", response_model=Page[WorkspaceMember])
async def list_workspace_members(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    accepted: Annotated[
        bool | None, Query(description="Filter workspace members by invitation acceptance status")
    ] = None,
    search: Annotated[str | None, Query(description="Search by name or email")] = None,
) -> Page[WorkspaceMember]:
    """List workspace member"""
    members, more = await member_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        accepted=accepted,
        search=search,
    )
    return Page(
        items=await _shown_all(session, members),
        next_starting_after=str(members[-1].id) if more else None,
    )


@router.get(
    "/{id}",
    operation_id="getWorkspaceMember",
    response_model=WorkspaceMember,
    responses=doc(errors.NotFound),
)
async def get_workspace_member(id: uuid.UUID, principal: Authorized, session: Session) -> WorkspaceMember:
    """Get workspace member"""
    return await _shown_one(session, await _found(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="patchWorkspaceMember",
    response_model=WorkspaceMember,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_workspace_member(
    id: uuid.UUID, body: WorkspaceMemberUpdate, principal: Authorized, session: Session
) -> WorkspaceMember:
    """Patch workspace member"""
    member = await _found(session, principal, id)
    member = await member_service.update(session, member, changes=body.model_dump(exclude_unset=True))
    return await _shown_one(session, member)


@router.delete(
    "/{id}",
    operation_id="deleteWorkspaceMember",
    response_model=WorkspaceMember,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def delete_workspace_member(id: uuid.UUID, principal: Authorized, session: Session) -> WorkspaceMember:
    """Delete workspace member"""
    member = await _found(session, principal, id)
    shown = await _shown_one(session, member)
    await member_service.delete(session, member)
    return shown
