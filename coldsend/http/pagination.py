import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from coldsend.errors import BadRequest

DEFAULT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class CursorParams:
    limit: int
    starting_after: str | None

    def after_uuid(self) -> uuid.UUID | None:
        if self.starting_after is None:
            return None
        try:
            return uuid.UUID(self.starting_after)
        except ValueError:
            raise BadRequest('querystring/starting_after must match format "uuid"') from None


def _cursor_dependency(max_limit: int) -> Callable[..., Awaitable[CursorParams]]:
    async def dependency(
        limit: Annotated[int, Query(ge=1, le=max_limit, description="The number of items to return")] = min(
            DEFAULT_LIMIT, max_limit
        ),
        starting_after: Annotated[
            str | None,
            Query(
                description="The ID of the last item in the previous page - used for pagination. "
                "You can use the value of the `next_starting_after` field from the previous response."
            ),
        ] = None,
    ) -> CursorParams:
        return CursorParams(limit=limit, starting_after=starting_after)

    return dependency


Cursor = Annotated[CursorParams, Depends(_cursor_dependency(100))]
AuditCursor = Annotated[CursorParams, Depends(_cursor_dependency(1000))]
