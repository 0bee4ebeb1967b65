import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.errors import BadRequest
from coldsend.models import WorkspaceMember


async def check_members(
    session: AsyncSession, *, workspace_id: uuid.UUID, user_ids: Iterable[uuid.UUID | None], field: str
) -> None:
    """BadRequest unless every given user id (`field` of a request) is a member of the workspace."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return
    found = await session.scalars(
        select(WorkspaceMember.user_id).where(
            WorkspaceMember.workspace_id == workspace_id, WorkspaceMember.user_id.in_(wanted)
        )
    )
    unknown = sorted(str(user_id) for user_id in wanted - set(found))
    if unknown:
        raise BadRequest(f"{field} must be the user id of a member of this workspace: {', '.join(unknown)}")
