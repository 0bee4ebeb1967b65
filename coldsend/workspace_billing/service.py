"""A self-hosted server bills nothing: one free plan without limits, and no paid subscriptions."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.models import Lead, Workspace
from coldsend.workspace_billing.schemas import (
    Addons,
    BundlePlan,
    CreditsAddon,
    CreditsPlan,
    OutreachAddon,
    OutreachPlan,
    PlanDetails,
    ProductPlan,
    SubscriptionDetails,
    Subscriptions,
)

PLAN_NAME = "Coldsend self-hosted"
# JSON has no infinity; 2**53 - 1 is the largest integer every client (JavaScript included) reads exactly.
UNLIMITED = 2**53 - 1
ADDONS_BLOCKED_REASON = "self_hosted"


def _no_product() -> ProductPlan:
    return ProductPlan(
        plan_name=None,
        interval=None,
        current_period_end=None,
        cancel_at_time=None,
        price_in_dollars=None,
        product_id=None,
        available_credits=None,
        plan_limit=None,
    )


async def contact_count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    """Distinct lead addresses in the workspace: a contact in two campaigns counts once."""
    stmt = select(func.count(func.distinct(Lead.email))).where(Lead.workspace_id == workspace_id)
    return await session.scalar(stmt) or 0


def plan_details(workspace: Workspace, *, lead_count: int) -> PlanDetails:
    return PlanDetails(
        organization_id=workspace.id,
        organization_name=workspace.name,
        subscriptions=Subscriptions(
            outreach=OutreachPlan(
                plan_name=PLAN_NAME,
                addons_qty=0,
                total_lead_limit=UNLIMITED,
                current_lead_count=lead_count,
                base_lead_limit=UNLIMITED,
                interval=None,
                current_period_end=None,
                cancel_at_time=None,
                price_in_dollars=0,
                product_id=None,
            ),
            credits=CreditsPlan(
                plan_name=PLAN_NAME,
                total_credits=0,
                available_credits=0,
                interval=None,
                current_period_end=None,
                cancel_at_time=None,
                price_in_dollars=0,
                product_id=None,
                price_option_id=None,
            ),
            bundle=BundlePlan(
                plan_name=None,
                total_lead_limit=0,
                current_lead_count=0,
                base_lead_limit=0,
                interval=None,
                current_period_end=None,
                cancel_at_time=None,
                price_in_dollars=None,
                product_id=None,
            ),
            crm=_no_product(),
            website_visitors=_no_product(),
            inbox_placement=_no_product(),
        ),
        addons=Addons(
            outreach=OutreachAddon(
                product_id="pid_addon_25kl_v1",
                unit_lead_limit=0,
                existing_quantity=0,
                max_quantity=0,
                interval=None,
                can_purchase=False,
                purchase_blocked_reason=ADDONS_BLOCKED_REASON,
                annual_discount_percent=0,
                monthly_pricing_tiers=[],
            ),
            credits=CreditsAddon(
                product_id="pid_addon_ic_50k_v1",
                annual_product_id="pid_addon_ic_50k_v1_annual",
                unit_credits=0,
                annual_unit_credits=0,
                existing_quantity=0,
                max_quantity=0,
                interval=None,
                can_purchase=False,
                purchase_blocked_reason=ADDONS_BLOCKED_REASON,
                monthly_price_in_dollars=0,
                annual_price_in_dollars=0,
            ),
        ),
    )


def subscription_details() -> SubscriptionDetails:
    """Every listed subscription names a paid Instantly product, so a self-hosted server lists none."""
    return SubscriptionDetails(subscriptions=[], all_subs_cancelled=False)
