from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

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
