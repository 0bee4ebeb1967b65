import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.api.errors import BadRequest, Conflict, NotFound
from coldsend.db.repository import keyset_page
from coldsend.models import Workspace, WorkspaceGroupMember
from coldsend.workspace_group_members.schemas import GroupMemberStatus

# A pending invitation already binds both sides: it counts as a relationship until it is rejected or deleted.
ACTIVE = (GroupMemberStatus.PENDING, GroupMemberStatus.ACCEPTED)
HIERARCHY_CONFLICT = "The requested workspace hierarchy conflicts with an active workspace group relationship"


async def _has_active_link(session: AsyncSession, *, as_admin: bool, workspace_id: uuid.UUID) -> bool:
    side = WorkspaceGroupMember.admin_workspace_id if as_admin else WorkspaceGroupMember.sub_workspace_id
    stmt = select(WorkspaceGroupMember.id).where(
        side == workspace_id, WorkspaceGroupMember.status.in_(ACTIVE)
    )
    return await session.scalar(stmt.limit(1)) is not None


async def invite(
    session: AsyncSession, *, admin_workspace_id: uuid.UUID, sub_workspace_id: uuid.UUID
) -> WorkspaceGroupMember:
    """Invite a sub workspace into the admin workspace's group; accepted at once when one user owns both."""
    if sub_workspace_id == admin_workspace_id:
        raise BadRequest("A workspace cannot join its own workspace group")
    # Locking both workspace rows serializes every pair of invitations that could conflict (PostgreSQL).
    locked = await session.scalars(
        select(Workspace)
        .where(Workspace.id.in_([admin_workspace_id, sub_workspace_id]))
        .order_by(Workspace.id)
        .with_for_update()
    )
    workspaces = {workspace.id: workspace for workspace in locked}
    admin, sub = workspaces.get(admin_workspace_id), workspaces.get(sub_workspace_id)
    if sub is None:
        raise NotFound("Sub workspace not found")
    assert admin is not None, "the caller's workspace exists"
    if await _has_active_link(session, as_admin=False, workspace_id=sub.id):
        raise Conflict("The sub workspace already has an active parent or invitation")
    if await _has_active_link(session, as_admin=False, workspace_id=admin.id):
        raise Conflict(f"{HIERARCHY_CONFLICT}: the admin workspace is itself a sub workspace")
    if await _has_active_link(session, as_admin=True, workspace_id=sub.id):
        raise Conflict(f"{HIERARCHY_CONFLICT}: the sub workspace is itself an admin workspace")
    same_owner = admin.owner_id == sub.owner_id
    member = WorkspaceGroupMember(
        admin_workspace_id=admin.id,
        sub_workspace_id=sub.id,
        status=GroupMemberStatus.ACCEPTED if same_owner else GroupMemberStatus.PENDING,
    )
    session.add(member)
    await session.flush()
    return member


def _party_to(workspace_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(
        WorkspaceGroupMember.admin_workspace_id == workspace_id,
        WorkspaceGroupMember.sub_workspace_id == workspace_id,
    )


async def list_page(
    session: AsyncSession, *, workspace_id: uuid.UUID, limit: int, after: uuid.UUID | None
) -> tuple[Sequence[WorkspaceGroupMember], bool]:
    """The rows the workspace is party to: its group's members as admin, its own link as sub."""
    stmt = select(WorkspaceGroupMember).where(_party_to(workspace_id))
    return await keyset_page(session, stmt, key=WorkspaceGroupMember.id, limit=limit, after=after)


async def get(
    session: AsyncSession, *, workspace_id: uuid.UUID, member_id: uuid.UUID
) -> WorkspaceGroupMember | None:
    """A row seen from either side; other workspaces' rows are as good as missing."""
    stmt = select(WorkspaceGroupMember).where(WorkspaceGroupMember.id == member_id, _party_to(workspace_id))
    return (await session.scalars(stmt)).first()


async def delete(session: AsyncSession, member: WorkspaceGroupMember) -> WorkspaceGroupMember:
    """Remove the link: the admin dropping a sub workspace, or the sub workspace leaving."""
    await session.delete(member)
    await session.flush()
    return member


async def admin_of(session: AsyncSession, *, workspace_id: uuid.UUID) -> WorkspaceGroupMember | None:
    """The accepted link to the workspace's admin workspace, if it has one."""
    stmt = select(WorkspaceGroupMember).where(
        WorkspaceGroupMember.sub_workspace_id == workspace_id,
        WorkspaceGroupMember.status == GroupMemberStatus.ACCEPTED,
    )
    return (await session.scalars(stmt)).first()


async def workspace_names(
    session: AsyncSession, members: Iterable[WorkspaceGroupMember]
) -> dict[uuid.UUID, str]:
    ids = {wid for member in members for wid in (member.admin_workspace_id, member.sub_workspace_id)}
    if not ids:
        return {}
    rows = await session.execute(select(Workspace.id, Workspace.name).where(Workspace.id.in_(ids)))
    return dict(rows.tuples().all())


async def answer_invitation(
    session: AsyncSession, *, member_id: uuid.UUID, accept: bool
) -> WorkspaceGroupMember:
    """The sub workspace owner's answer to a pending invitation (run by the operator from the CLI)."""
    member = await session.get(WorkspaceGroupMember, member_id, with_for_update=True)
    if member is None:
        raise NotFound(f"No workspace group invitation with id {member_id}")
    if member.status != GroupMemberStatus.PENDING:
        raise Conflict(f"The invitation is {member.status}, not pending")
    member.status = GroupMemberStatus.ACCEPTED if accept else GroupMemberStatus.REJECTED
    await session.flush()
    return member
