from typing import Annotated

from fastapi import APIRouter, Depends, Request

from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.extensions import EXTENSION_KEY
from coldsend.warmup import report
from coldsend.warmup.schemas import PoolReport

router = APIRouter(prefix="/api/v2/accounts/warmup", tags=["Account"])

POOL_NOTES = (
    "Coldsend extension. The workspace's warmup pool (with COLDSEND_WARMUP_GROUP_POOL, its admin "
    "workspace's group's): size (mailboxes that send and receive warmup mail now), domains and providers "
    "(by MX: google, microsoft, other), every mailbox with warmup on (its ramp day, today's volume, and "
    "what its mail did in the last 7 days), how often each pair met in the last 7 days, warnings when the "
    "pool is too small to tell much (fewer than 5 mailboxes or 2 domains, one provider), and what a "
    "private pool cannot do."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(
    "/pool",
    operation_id="getWarmupPool",
    response_model=PoolReport,
    openapi_extra={EXTENSION_KEY: True, "x-coldsend-notes": POOL_NOTES},
)
async def get_warmup_pool(
    principal: Authorized, session: Session, settings: Annotated[Settings, Depends(_settings)]
) -> PoolReport:
    """Report the warmup pool: size, domains, providers, pairs met, warnings"""
    return await report.pool_report(session, principal.workspace_id, settings, utcnow())
