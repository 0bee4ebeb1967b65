import uuid

from fastapi import APIRouter, Request
from pydantic import TypeAdapter

from coldsend import errors
from coldsend.api_keys import service as api_key_service
from coldsend.api_keys.schemas import APIKey, APIKeyCreate
from coldsend.audit_logs import service as audit_log_service
from coldsend.http.auth import Authorized, forget_key
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.http.scopes import ungranted
from coldsend.models import ActivityType, ApiKey

_LISTED = TypeAdapter(list[APIKey])

router = APIRouter(prefix="/api/v2/api-keys", tags=["APIKey"])


def _shown(key: ApiKey, secret: str | None = None) -> APIKey:
    return APIKey(
        id=key.id,
        name=key.name,
        scopes=key.scopes,
        key=secret or api_key_service.masked(key),
        organization_id=key.workspace_id,
        timestamp_created=key.timestamp_created,
        timestamp_updated=key.timestamp_updated,
    )


@router.post(
    "",
    operation_id="createAPIKey",
    response_model=APIKey,
    openapi_extra={
        "x-coldsend-notes": "A key can only grant scopes it holds itself (403). A key made by an admin "
        "workspace through x-as-workspace is revoked when the sub workspace leaves its group"
    },
    responses=doc(errors.BadRequest, errors.Forbidden),
)
async def create_api_key(body: APIKeyCreate, principal: Authorized, session: Session) -> APIKey:
    """Create api key"""
    beyond = ungranted(body.scopes, principal.scopes)
    if beyond:
        raise errors.Forbidden(
            f"An API key can only grant scopes it holds itself; not held: {', '.join(beyond)}"
        )
    key, secret = await api_key_service.create(
        session,
        workspace_id=principal.workspace_id,
        name=body.name,
        scopes=body.scopes,
        admin_workspace_id=principal.granted_by_admin,
    )
    await audit_log_service.record(
        session,
        principal,
        ActivityType.API_KEY_CREATED,
        metadata={"api_key_id": str(key.id), "name": key.name},
    )
    return _shown(key, secret)


@router.get("", operation_id="listAPIKey", response_model=Page[APIKey])
async def list_api_keys(principal: Authorized, session: Session, cursor: Cursor) -> Page[APIKey]:
    """List api key"""
    keys, more = await api_key_service.list_page(
        session, workspace_id=principal.workspace_id, limit=cursor.limit, after=cursor.after_uuid()
    )
    items = _LISTED.validate_python([row._mapping for row in keys])
    return Page(items=items, next_starting_after=str(keys[-1].id) if more else None)


@router.delete(
    "/{id}",
    operation_id="deleteAPIKey",
    response_model=APIKey,
    responses=doc(errors.NotFound),
)
async def delete_api_key(id: uuid.UUID, request: Request, principal: Authorized, session: Session) -> APIKey:
    """Delete api key"""
    key = await api_key_service.get(session, workspace_id=principal.workspace_id, key_id=id)
    if key is None:
        raise errors.NotFound()
    await api_key_service.revoke(session, key)
    forget_key(request, key.key_hash)
    await audit_log_service.record(
        session,
        principal,
        ActivityType.API_KEY_DELETED,
        metadata={"api_key_id": str(key.id), "name": key.name},
    )
    return _shown(key)
