"""POST /leads/merge: one lead folded into another."""

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.audit_logs import service as audit_log_service
from coldsend.clock import utcnow
from coldsend.errors import BadRequest
from coldsend.leads.repository import domain_of
from coldsend.leads.service import SETTABLE
from coldsend.models import ActivityType
from coldsend.models import Lead as LeadRow
from coldsend.principal import Principal

_MERGED_FIELDS = (
    *SETTABLE,
    "pl_value_lead",
    "assigned_to",
    "lt_interest_status",
    "verification_status",
    "enrichment_status",
    "esp_code",
    "esg_code",
    "email",
)
_SUMMED = ("email_open_count", "email_reply_count", "email_click_count")
_LATEST = (
    "timestamp_last_contact",
    "timestamp_last_open",
    "timestamp_last_reply",
    "timestamp_last_click",
    "timestamp_last_touch",
    "timestamp_last_interest_change",
)


async def merge(
    session: AsyncSession, principal: Principal, *, source: LeadRow, destination: LeadRow
) -> LeadRow:
    """Fold `source` into `destination` (empty fields, missing payload keys, activity); drop `source`."""
    if source.id == destination.id:
        raise BadRequest("body/lead_id must differ from body/destination_lead_id")
    for name in _MERGED_FIELDS:
        if getattr(destination, name) is None and getattr(source, name) is not None:
            setattr(destination, name, getattr(source, name))
    if not destination.company_domain:
        destination.company_domain = domain_of(destination.email)
    if source.payload:
        destination.payload = {**source.payload, **(destination.payload or {})}
    for name in _SUMMED:
        setattr(destination, name, getattr(destination, name) + getattr(source, name))
    for name in _LATEST:
        theirs = getattr(source, name)
        if theirs is not None and (getattr(destination, name) is None or theirs > getattr(destination, name)):
            setattr(destination, name, theirs)
    destination.timestamp_updated = utcnow()
    await session.delete(source)
    await session.flush()
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_MERGED,
        affected_count=1,
        campaign_id=destination.campaign_id,
        list_id=destination.list_id,
        metadata={"lead_id": str(source.id), "destination_lead_id": str(destination.id)},
    )
    return destination
