from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.db.session import session_scope


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler returns, before the response goes out.

    GET requests only read, so they run without a transaction (no BEGIN/COMMIT round trips).
    """
    state = request.app.state
    sessionmaker = state.read_sessionmaker if request.method == "GET" else state.sessionmaker
    async with session_scope(sessionmaker) as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The app's sessionmaker, for work that runs transactions of its own (an OAuth token renewal)."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return sessionmaker


Sessionmaker = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
