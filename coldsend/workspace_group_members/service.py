import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.api_keys import service as api_key_service
from coldsend.db.repository import keyset_page
from coldsend.errors import BadRequest, Conflict, NotFound
from coldsend.models import GroupMemberStatus, Workspace, WorkspaceGroupMember

HIERARCHY_CONFLICT = "The requested workspace hierarchy conflicts with an active workspace group relationship"
# Rows a workspace's own keys made as the admin side bind it at once; a sub workspace is bound only once it
# accepted, so that an unsolicited invitation blocks no one.
BINDS_ADMIN = (GroupMemberStatus.PENDING, GroupMemberStatus.ACCEPTED)
BINDS_SUB = (GroupMemberStatus.ACCEPTED,)


async def _has_link(session: AsyncSession, *, as_admin: bool, workspace_id: uuid.UUID) -> bool:
    side = WorkspaceGroupMember.admin_workspace_id if as_admin else WorkspaceGroupMember.sub_workspace_id
    statuses = BINDS_ADMIN if as_admin else BINDS_SUB
    stmt = select(WorkspaceGroupMember.id).where(
        side == workspace_id, WorkspaceGroupMember.status.in_(statuses)
    )
    return await session.scalar(stmt.limit(1)) is not None


async def _lock_workspaces(session: AsyncSession, *ids: uuid.UUID) -> dict[uuid.UUID, Workspace]:
    # Locking both workspace rows serializes every pair of invitations and answers that could conflict.
    locked = await session.scalars(
        select(Workspace).where(Workspace.id.in_(ids)).order_by(Workspace.id).with_for_update()
    )
    return {workspace.id: workspace for workspace in locked}


async def _check_hierarchy(session: AsyncSession, *, admin_id: uuid.UUID, sub_id: uuid.UUID) -> None:
    if await _has_link(session, as_admin=False, workspace_id=sub_id):
        raise Conflict("The sub workspace already has an active parent or invitation")
    if await _has_link(session, as_admin=False, workspace_id=admin_id):
        raise Conflict(f"{HIERARCHY_CONFLICT}: the admin workspace is itself a sub workspace")
    if await _has_link(session, as_admin=True, workspace_id=sub_id):
        raise Conflict(f"{HIERARCHY_CONFLICT}: the sub workspace is itself an admin workspace")


async def invite(
    session: AsyncSession, *, admin_workspace_id: uuid.UUID, sub_workspace_id: uuid.UUID
) -> WorkspaceGroupMember:
    """Invite a sub workspace into the admin workspace's group: pending until the sub workspace answers."""
    if sub_workspace_id == admin_workspace_id:
        raise BadRequest("A workspace cannot join its own workspace group")
    workspaces = await _lock_workspaces(session, admin_workspace_id, sub_workspace_id)
    if sub_workspace_id not in workspaces:
        raise NotFound("Sub workspace not found")
    await _check_hierarchy(session, admin_id=admin_workspace_id, sub_id=sub_workspace_id)
    already = await session.scalar(
        select(WorkspaceGroupMember.id).where(
            WorkspaceGroupMember.admin_workspace_id == admin_workspace_id,
            WorkspaceGroupMember.sub_workspace_id == sub_workspace_id,
            WorkspaceGroupMember.status == GroupMemberStatus.PENDING,
        )
    )
    if already is not None:
        raise Conflict("The sub workspace already has an active parent or invitation")
    member = WorkspaceGroupMember(
        admin_workspace_id=admin_workspace_id,
        sub_workspace_id=sub_workspace_id,
        status=GroupMemberStatus.PENDING,
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


async def delete(session: AsyncSession, member: WorkspaceGroupMember) -> list[str]:
    """Remove the link (the admin dropping a sub workspace, or the sub workspace leaving) and revoke the keys
    the admin workspace made inside the sub workspace; their hashes, to drop from key caches."""
    await session.delete(member)
    revoked = await api_key_service.revoke_made_by_admin(
        session, workspace_id=member.sub_workspace_id, admin_workspace_id=member.admin_workspace_id
    )
    await session.flush()
    return revoked


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
    session: AsyncSession, *, member_id: uuid.UUID, accept: bool, sub_workspace_id: uuid.UUID | None = None
) -> WorkspaceGroupMember:
    """The sub workspace's answer to a pending invitation: its own key (`sub_workspace_id`) or its owner
    through the CLI (None). Another workspace's invitation is as good as missing."""
    stmt = select(WorkspaceGroupMember).where(WorkspaceGroupMember.id == member_id)
    if sub_workspace_id is not None:
        stmt = stmt.where(WorkspaceGroupMember.sub_workspace_id == sub_workspace_id)
    member = await session.scalar(stmt)
    if member is None:
        raise NotFound(f"No workspace group invitation with id {member_id}")
    await _lock_workspaces(session, member.admin_workspace_id, member.sub_workspace_id)
    await session.refresh(member)
    if member.status != GroupMemberStatus.PENDING:
        raise Conflict(f"The invitation is {member.status}, not pending")
    if accept:
        await _check_hierarchy(session, admin_id=member.admin_workspace_id, sub_id=member.sub_workspace_id)
    member.status = GroupMemberStatus.ACCEPTED if accept else GroupMemberStatus.REJECTED
    await session.flush()
    return member


async def linked_subs(session: AsyncSession, *, admin_workspace_id: uuid.UUID) -> list[uuid.UUID]:
    """The sub workspaces whose link to this admin workspace is accepted: where x-as-workspace may act."""
    stmt = select(WorkspaceGroupMember.sub_workspace_id).where(
        WorkspaceGroupMember.admin_workspace_id == admin_workspace_id,
        WorkspaceGroupMember.status == GroupMemberStatus.ACCEPTED,
    )
    return list(await session.scalars(stmt))
