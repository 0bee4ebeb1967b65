import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import User, Workspace, WorkspaceMember
from coldsend.workspace_members.schemas import MemberRole

DEFAULT_OWNER_EMAIL = "owner@localhost"


async def get_or_create_user(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        user = User(email=email.lower())
        session.add(user)
        await session.flush()
    return user


async def create(session: AsyncSession, *, name: str, owner_email: str = DEFAULT_OWNER_EMAIL) -> Workspace:
    """A workspace with its owner as an accepted `owner` member."""
    owner = await get_or_create_user(session, owner_email)
    workspace = Workspace(name=name, owner_id=owner.id)
    session.add(workspace)
    await session.flush()
    session.add(
        WorkspaceMember(
            workspace_id=workspace.id,
            user_id=owner.id,
            email=owner.email,
            user_email=owner.email,
            role=MemberRole.OWNER,
            accepted=True,
        )
    )
    await session.flush()
    return workspace


async def get(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace | None:
    return await session.get(Workspace, workspace_id)


async def any_exists(session: AsyncSession) -> bool:
    return await session.scalar(select(Workspace.id).limit(1)) is not None


async def resolve_for_cli(session: AsyncSession, workspace: str | None) -> uuid.UUID:
    """The workspace an operator named, or the only one there is."""
    if workspace:
        try:
            found = await get(session, uuid.UUID(workspace))
        except ValueError:
            found = None
        if found is None:
            raise LookupError(f"no workspace with id {workspace}")
        return found.id
    ids = (await session.scalars(select(Workspace.id).limit(2))).all()
    if len(ids) != 1:
        raise LookupError("name the workspace with --workspace (there is not exactly one)")
    return ids[0]
