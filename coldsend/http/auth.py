import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from coldsend.api_key_secrets import hash_key
from coldsend.errors import BadRequest, Forbidden, RateLimited, Unauthorized
from coldsend.http.deps import Session
from coldsend.http.key_cache import KeyCache, KeyRecord
from coldsend.http.nul import refuse_nul
from coldsend.http.scopes import ACCEPTED_SCOPES
from coldsend.models import ApiKey, GroupMemberStatus, WorkspaceGroupMember
from coldsend.principal import Principal

AS_WORKSPACE_HEADER = "x-as-workspace"
AUTHENTICATED_KEY = "api_key"  # request.state attribute: the key the limits middleware checked


def _bearer_token(header: str | None) -> str:
    if not header:
        raise Unauthorized("Missing Authorization header")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Invalid Authorization header, expected 'Bearer <API key>'")
    return token


async def _is_linked(session: Session, *, admin_workspace_id: uuid.UUID, sub_workspace_id: uuid.UUID) -> bool:
    link = await session.scalar(
        select(WorkspaceGroupMember.id).where(
            WorkspaceGroupMember.admin_workspace_id == admin_workspace_id,
            WorkspaceGroupMember.sub_workspace_id == sub_workspace_id,
            WorkspaceGroupMember.status == GroupMemberStatus.ACCEPTED,
        )
    )
    return link is not None


async def _acting_workspace(request: Request, session: Session, key: KeyRecord) -> uuid.UUID:
    raw = request.headers.get(AS_WORKSPACE_HEADER)
    if raw is None:
        return key.workspace_id
    try:
        target = uuid.UUID(raw)
    except ValueError:
        raise BadRequest(f'headers/{AS_WORKSPACE_HEADER} must match format "uuid"') from None
    if target == key.workspace_id:
        return target
    if not await _is_linked(session, admin_workspace_id=key.workspace_id, sub_workspace_id=target):
        raise Forbidden(
            f"{AS_WORKSPACE_HEADER} needs an API key of an admin workspace "
            "whose group that workspace has joined"
        )
    return target


async def _stored_key(session: AsyncSession, cache: KeyCache, key_hash: str) -> KeyRecord:
    record = cache.get(key_hash)
    if record is None:
        key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
        if key is None:
            raise Unauthorized("Invalid API key")
        record = KeyRecord(
            id=key.id,
            workspace_id=key.workspace_id,
            scopes=frozenset(key.scopes),
            revoked=key.revoked_at is not None,
            admin_workspace_id=key.admin_workspace_id,
        )
        cache.put(key_hash, record)
    if record.revoked:
        raise Unauthorized("API key has been revoked")
    # Checked on every request, not only revoked at unlinking: the link may go on another node or with
    # the admin workspace's removal, and a cached record must not outlive it.
    if record.admin_workspace_id is not None and not await _is_linked(
        session, admin_workspace_id=record.admin_workspace_id, sub_workspace_id=record.workspace_id
    ):
        raise Unauthorized("API key has been revoked")
    return record


async def authenticate_header(state: State, authorization: str | None) -> KeyRecord:
    """The live key an Authorization header value names, else Unauthorized: checked before a body is read."""
    key_hash = hash_key(_bearer_token(authorization))
    record: KeyRecord | None = state.key_cache.get(key_hash)
    if record is not None and not record.revoked and record.admin_workspace_id is None:
        return record  # nothing to ask the database: no session for the common case
    async with state.read_sessionmaker() as session:
        return await _stored_key(session, state.key_cache, key_hash)


async def _key_record(request: Request, session: Session) -> KeyRecord:
    checked: KeyRecord | None = getattr(request.state, AUTHENTICATED_KEY, None)
    if checked is not None:
        return checked
    key_hash = hash_key(_bearer_token(request.headers.get("authorization")))
    return await _stored_key(session, request.app.state.key_cache, key_hash)


def forget_key(request: Request, key_hash: str) -> None:
    """Drop a revoked key from this process's cache, so it stops working at once."""
    request.app.state.key_cache.forget(key_hash)


async def authorize(request: Request, session: Session) -> Principal:
    """Authenticate the key, check the route's scope, apply x-as-workspace and the rate limit; refuse NUL."""
    key = await _key_record(request, session)
    route = request.scope.get("route")
    assert isinstance(route, APIRoute), "auth runs on API routes only"
    assert route.operation_id, "every API route names its operation"
    scopes = key.scopes
    if not scopes & ACCEPTED_SCOPES[route.operation_id]:
        needed = ", ".join(sorted(ACCEPTED_SCOPES[route.operation_id]))
        raise Forbidden(f"This API key lacks the scope for {route.operation_id} (one of: {needed})")
    workspace_id = await _acting_workspace(request, session, key)
    if not request.app.state.rate_limiter.allow(workspace_id):
        raise RateLimited()
    # Every API route passes here, after authentication as FastAPI's own validation would come.
    await refuse_nul(request)
    return Principal(
        workspace_id=workspace_id,
        key_workspace_id=key.workspace_id,
        api_key_id=key.id,
        scopes=scopes,
        ip_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent"),
        key_admin_workspace_id=key.admin_workspace_id,
    )


Authorized = Annotated[Principal, Depends(authorize)]
