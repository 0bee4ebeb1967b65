import uuid
from typing import Literal

from pydantic import BaseModel

BillingInterval = Literal["day", "week", "month", "year"]


class OutreachPlan(BaseModel):
    plan_name: str
    addons_qty: int
    total_lead_limit: int
    current_lead_count: int
    base_lead_limit: int
    interval: BillingInterval | None
    current_period_end: int | None
    cancel_at_time: int | None
    price_in_dollars: float | None
    product_id: str | None


class CreditsPlan(BaseModel):
    plan_name: str
    total_credits: int
    available_credits: int
    interval: BillingInterval | None
    current_period_end: int | None
    cancel_at_time: int | None
    price_in_dollars: float | None
    product_id: str | None
    price_option_id: str | None


class BundlePlan(BaseModel):
    plan_name: str | None
    total_lead_limit: int
    current_lead_count: int
    base_lead_limit: int
    interval: BillingInterval | None
    current_period_end: int | None
    cancel_at_time: int | None
    price_in_dollars: float | None
    product_id: str | None


class ProductPlan(BaseModel):
    """The shape of the CRM, website visitors and inbox placement plans."""

    plan_name: str | None
    interval: BillingInterval | None
    current_period_end: int | None
    cancel_at_time: int | None
    price_in_dollars: float | None
    product_id: str | None
    available_credits: int | None
    plan_limit: int | None


class Subscriptions(BaseModel):
    outreach: OutreachPlan
    credits: CreditsPlan
    bundle: BundlePlan
    crm: ProductPlan
    website_visitors: ProductPlan
    inbox_placement: ProductPlan


class PricingTier(BaseModel):
    from_quantity: int
    to_quantity: int | None
    price_in_dollars: float


class OutreachAddon(BaseModel):
    product_id: Literal["pid_addon_25kl_v1"]
    unit_lead_limit: int
    existing_quantity: int
    max_quantity: int
    interval: BillingInterval | None
    can_purchase: bool
    purchase_blocked_reason: str | None
    annual_discount_percent: float
    monthly_pricing_tiers: list[PricingTier]


class CreditsAddon(BaseModel):
    product_id: Literal["pid_addon_ic_50k_v1"]
    annual_product_id: Literal["pid_addon_ic_50k_v1_annual"]
    unit_credits: int
    annual_unit_credits: int
    existing_quantity: int
    max_quantity: int
    interval: BillingInterval | None
    can_purchase: bool
    purchase_blocked_reason: str | None
    monthly_price_in_dollars: float
    annual_price_in_dollars: float


class Addons(BaseModel):
    outreach: OutreachAddon
    credits: CreditsAddon


class PlanDetails(BaseModel):
    organization_id: uuid.UUID
    organization_name: str
    subscriptions: Subscriptions
    addons: Addons


class Subscription(BaseModel):
    workspace_id: uuid.UUID
    interval: Literal["month", "year"]
    quantity: int
    product_id: str
    product_type: Literal["prt_outreach", "prt_leadfinder"]
    plan_type: Literal["plt_addon", "plt_primary"]
    current_period_end: int
    cancel_at_time: int | None
    price_in_dollars: float
    price_id: str


class SubscriptionDetails(BaseModel):
    subscriptions: list[Subscription]
    all_subs_cancelled: bool
