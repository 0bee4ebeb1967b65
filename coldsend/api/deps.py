from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.db.session import session_scope


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler returns, before the response goes out."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
