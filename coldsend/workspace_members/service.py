import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.repository import get_in_workspace, keyset_page
from coldsend.errors import BadRequest
from coldsend.models import MemberRole, User, WorkspaceMember
from coldsend.workspace_members.schemas import WorkspaceMemberCreate
from coldsend.workspaces import service as workspace_service

CHANGE_OWNER_PATH = "POST /api/v2/workspaces/current/change-owner"


def _check_assignable(role: MemberRole) -> None:
    if role == MemberRole.OWNER:
        raise BadRequest(
            f"The owner role cannot be given to a member; transfer ownership with {CHANGE_OWNER_PATH}"
        )
    if role == MemberRole.CLIENT:
        raise BadRequest("The client role is not available in the API")


async def create(
    session: AsyncSession, *, workspace_id: uuid.UUID, member_in: WorkspaceMemberCreate
) -> WorkspaceMember:
    """An invitation: the member is `accepted` only once the invited person accepts."""
    _check_assignable(member_in.role)
    email = member_in.email.lower()
    taken = await session.scalar(
        select(WorkspaceMember.id).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.email == email
        )
    )
    if taken is not None:
        raise BadRequest(f"{email} is already a member of this workspace")
    user = await workspace_service.get_or_create_user(session, email)
    member = WorkspaceMember(
        workspace_id=workspace_id,
        user_id=user.id,
        email=email,
        user_email=(member_in.user_email or email).lower(),
        nickname=member_in.nickname,
        role=member_in.role,
        accepted=False,
        permissions=None if member_in.permissions is None else [str(p) for p in member_in.permissions],
    )
    session.add(member)
    await session.flush()
    return member


async def list_page(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    accepted: bool | None = None,
    search: str | None = None,
) -> tuple[Sequence[WorkspaceMember], bool]:
    stmt = select(WorkspaceMember).where(WorkspaceMember.workspace_id == workspace_id)
    if accepted is not None:
        stmt = stmt.where(WorkspaceMember.accepted == accepted)
    if search:
        term = search.strip().lower()
        full_name = User.first_name + " " + User.last_name
        stmt = stmt.join(User, User.id == WorkspaceMember.user_id).where(
            or_(
                *(
                    func.lower(column).contains(term, autoescape=True)
                    for column in (WorkspaceMember.email, WorkspaceMember.user_email, full_name)
                )
            )
        )
    return await keyset_page(session, stmt, key=WorkspaceMember.id, limit=limit, after=after)


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, member_id: uuid.UUID
) -> WorkspaceMember | None:
    return await get_in_workspace(session, WorkspaceMember, workspace_id, member_id)


async def users_of(session: AsyncSession, members: Sequence[WorkspaceMember]) -> dict[uuid.UUID, User]:
    ids = {member.user_id for member in members}
    if not ids:
        return {}
    return {user.id: user for user in await session.scalars(select(User).where(User.id.in_(ids)))}


async def update(
    session: AsyncSession, member: WorkspaceMember, *, changes: dict[str, Any]
) -> WorkspaceMember:
    role = changes.get("role")
    if role is not None and role != member.role:
        if member.role == MemberRole.OWNER:
            raise BadRequest(
                f"The owner's role cannot be changed; transfer ownership first with {CHANGE_OWNER_PATH}"
            )
        _check_assignable(MemberRole(role))
    for field, value in changes.items():
        setattr(member, field, value)
    await session.flush()
    return member


async def delete(session: AsyncSession, member: WorkspaceMember) -> WorkspaceMember:
    if member.role == MemberRole.OWNER:
        raise BadRequest("The workspace owner cannot be removed from the workspace")
    await session.delete(member)
    await session.flush()
    return member


async def accept(session: AsyncSession, member: WorkspaceMember) -> WorkspaceMember:
    """The invited person joined: from now on they count as a member (and can become the owner)."""
    member.accepted = True
    await session.flush()
    return member


async def get_by_email(
    session: AsyncSession, *, workspace_id: uuid.UUID, email: str
) -> WorkspaceMember | None:
    member: WorkspaceMember | None = (
        await session.scalars(
            select(WorkspaceMember).where(
                WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.email == email.strip().lower()
            )
        )
    ).first()
    return member
