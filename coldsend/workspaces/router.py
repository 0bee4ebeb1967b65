from fastapi import APIRouter, Request

from coldsend import errors
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.responses import doc
from coldsend.principal import Principal
from coldsend.workspaces import removal
from coldsend.workspaces import service as workspace_service
from coldsend.workspaces.schemas import (
    DomainVerification,
    OwnerChange,
    WhitelabelDomainInfo,
    WhitelabelDomainSet,
    Workspace,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/api/v2/workspaces/current", tags=["Workspace"])

# The spec's admin role: "Full access except workspace deletion"; managing the workspace is the owner's.
OWNER_ONLY = "An admin workspace cannot {} a sub workspace through x-as-workspace; its own keys can"


def _refuse_admin(principal: Principal, action: str) -> None:
    if principal.acting_as_admin:
        raise errors.Forbidden(OWNER_ONLY.format(action))


@router.get("", operation_id="getWorkspace", response_model=Workspace)
async def get_workspace(principal: Authorized, session: Session) -> Workspace:
    """Get workspace"""
    return Workspace.model_validate(await workspace_service.get_current(session, principal.workspace_id))


@router.patch("", operation_id="patchWorkspace", response_model=Workspace, responses=doc(errors.BadRequest))
async def patch_workspace(body: WorkspaceUpdate, principal: Authorized, session: Session) -> Workspace:
    """Patch workspace"""
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    changes = body.model_dump(exclude_unset=True)
    return Workspace.model_validate(await workspace_service.update(session, workspace, changes=changes))


@router.post(
    "/schedule-for-removal",
    operation_id="scheduleCurrentWorkspaceRemoval",
    response_model=Workspace,
    openapi_extra={"x-coldsend-notes": "Not through x-as-workspace (403): only the workspace's own keys"},
    responses=doc(errors.Forbidden),
)
async def schedule_workspace_removal(request: Request, principal: Authorized, session: Session) -> Workspace:
    """Schedule Current Workspace Removal"""
    _refuse_admin(principal, "schedule the removal of")
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    if workspace.scheduled_for_removal_at is None:
        delay = request.app.state.settings.workspace_removal_delay_seconds
        workspace = await removal.schedule(session, workspace, delay_seconds=delay)
    return Workspace.model_validate(workspace)


@router.delete(
    "/schedule-for-removal",
    operation_id="cancelCurrentWorkspaceRemoval",
    response_model=Workspace,
    responses=doc(errors.Conflict),
)
async def cancel_workspace_removal(principal: Authorized, session: Session) -> Workspace:
    """Cancel Current Workspace Removal"""
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    if workspace.scheduled_for_removal_at is not None:
        workspace = await removal.cancel(session, workspace)
    return Workspace.model_validate(workspace)


@router.post(
    "/whitelabel-domain",
    operation_id="addWorkspaceAgencyDomain",
    response_model=Workspace,
    responses=doc(errors.BadRequest),
)
async def add_whitelabel_domain(
    body: WhitelabelDomainSet, principal: Authorized, session: Session
) -> Workspace:
    """Set the agency domain for the workspace"""
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    return Workspace.model_validate(
        await workspace_service.set_whitelabel_domain(session, workspace, domain=body.domain)
    )


@router.get(
    "/whitelabel-domain",
    operation_id="getWorkspaceDomainInfo",
    response_model=WhitelabelDomainInfo,
    openapi_extra={
        "x-coldsend-notes": "`verified` is a live DNS lookup of TXT `_coldsend-verification.<domain>`"
    },
    responses=doc(errors.NotFound),
)
async def get_whitelabel_domain(
    request: Request, principal: Authorized, session: Session
) -> WhitelabelDomainInfo:
    """Get organization verified agency domain information"""
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    record = workspace_service.whitelabel_record(workspace)
    nameservers = request.app.state.settings.dns_nameservers
    return WhitelabelDomainInfo(
        verified=await workspace_service.is_published(record, nameservers=nameservers),
        name=record.domain,
        verification=[
            DomainVerification(
                type="TXT",
                domain=record.name,
                value=record.value,
                reason=f"TXT record required to verify that you control {record.domain}",
            )
        ],
    )


@router.delete("/whitelabel-domain", operation_id="deleteWorkspaceDomain", response_model=Workspace)
async def delete_whitelabel_domain(principal: Authorized, session: Session) -> Workspace:
    """Delete organization agency domain"""
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    return Workspace.model_validate(await workspace_service.clear_whitelabel_domain(session, workspace))


@router.post(
    "/change-owner",
    operation_id="changeWorkspaceOwner",
    response_model=Workspace,
    openapi_extra={
        "x-coldsend-notes": "`sec` must be the workspace id; the new owner must be an accepted member. "
        "Not through x-as-workspace (403): only the workspace's own keys"
    },
    responses=doc(errors.BadRequest, errors.Forbidden, errors.NotFound),
)
async def change_workspace_owner(body: OwnerChange, principal: Authorized, session: Session) -> Workspace:
    """Change workspace owner"""
    _refuse_admin(principal, "change the owner of")
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    return Workspace.model_validate(
        await workspace_service.change_owner(session, workspace, email=body.email, confirmation=body.sec)
    )
