from fastapi import APIRouter

from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.workspace_billing import service as billing_service
from coldsend.workspace_billing.schemas import PlanDetails, SubscriptionDetails
from coldsend.workspaces import service as workspace_service

router = APIRouter(prefix="/api/v2/workspace-billing", tags=["WorkspaceBilling"])


@router.get(
    "/plan-details",
    operation_id="getWorkspacePlanDetails",
    response_model=PlanDetails,
    openapi_extra={"x-coldsend-notes": "One free self-hosted plan; a limit of 2^53-1 means unlimited"},
)
async def get_plan_details(principal: Authorized, session: Session) -> PlanDetails:
    """Get workspace plan details"""
    workspace = await workspace_service.get_current(session, principal.workspace_id)
    lead_count = await billing_service.contact_count(session, workspace.id)
    return billing_service.plan_details(workspace, lead_count=lead_count)


@router.get(
    "/subscription-details",
    operation_id="getWorkspaceSubscriptionDetails",
    response_model=SubscriptionDetails,
    openapi_extra={"x-coldsend-notes": "Always an empty list: nothing is billed"},
)
async def get_subscription_details(principal: Authorized, session: Session) -> SubscriptionDetails:
    """Get workspace subscription details"""
    await workspace_service.get_current(session, principal.workspace_id)
    return billing_service.subscription_details()
