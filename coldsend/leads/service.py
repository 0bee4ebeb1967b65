"""Leads one by one: the API shape, create, update and remove.

A lead lives in one campaign or one lead list (or, created without either, in the workspace only). Its
`email` is stored normalised (lower case, IDN domains in punycode); `company_domain` is the email's domain.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.addresses import normalize_email
from coldsend.audit_logs import service as audit_log_service
from coldsend.clock import utcnow
from coldsend.errors import BadRequest, NotFound
from coldsend.ids import new_id
from coldsend.leads import repository as lead_repository
from coldsend.leads.schemas import (
    Lead,
    LeadCreate,
    LeadFields,
    unstorable_variable,
)
from coldsend.models import ActivityType, Campaign, LeadList, UploadMethod
from coldsend.models import Lead as LeadRow
from coldsend.principal import Principal
from coldsend.subsequences import triggers
from coldsend.verification.jobs import enqueue_lead_verification
from coldsend.webhooks import facts
from coldsend.workspace_members.membership import check_members

# Lead fields whose column has another name.
_RENAMED = {"organization": "workspace_id", "campaign": "campaign_id"}

# A lead as the API shows it, shaped in SQL so rows validate in one step (`shown_rows`).
SHOWN_COLUMNS = tuple(
    getattr(LeadRow, _RENAMED.get(name, name)).label(name) if name in _RENAMED else getattr(LeadRow, name)
    for name in Lead.model_fields
)

SETTABLE = ("personalization", "website", "last_name", "first_name", "company_name", "job_title", "phone")


def shown(lead: LeadRow) -> Lead:
    """The API shape of a lead row (ORM object)."""
    return Lead.model_validate(lead)


def shown_rows(rows: Sequence[Row[Any]]) -> list[Lead]:
    """The API shape of rows selected as SHOWN_COLUMNS."""
    return [Lead.model_validate(row._asdict()) for row in rows]


def email_or_400(value: str, where: str) -> str:
    try:
        return normalize_email(value)
    except ValueError:
        raise BadRequest(f'{where} must match format "email"') from None


async def check_container(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    list_id: uuid.UUID | None,
) -> None:
    """404 unless the campaign and list given belong to the workspace."""
    if campaign_id is not None:
        found = await session.scalar(
            select(Campaign.id).where(Campaign.id == campaign_id, Campaign.workspace_id == workspace_id)
        )
        if found is None:
            raise NotFound("Campaign not found")
    if list_id is not None:
        found = await session.scalar(
            select(LeadList.id).where(LeadList.id == list_id, LeadList.workspace_id == workspace_id)
        )
        if found is None:
            raise NotFound("Lead list not found")


async def get(session: AsyncSession, *, workspace_id: uuid.UUID, lead_id: uuid.UUID) -> LeadRow | None:
    lead: LeadRow | None = await session.scalar(
        select(LeadRow).where(LeadRow.id == lead_id, LeadRow.workspace_id == workspace_id)
    )
    return lead


@dataclass(frozen=True, slots=True)
class SkipFlags:
    in_workspace: bool = False
    in_campaign: bool = False
    in_list: bool = False

    @property
    def any(self) -> bool:
        return self.in_workspace or self.in_campaign or self.in_list

    def skips(self, campaign_id: uuid.UUID | None, list_id: uuid.UUID | None) -> bool:
        return (
            self.in_workspace
            or (self.in_campaign and campaign_id is not None)
            or (self.in_list and list_id is not None)
        )


def row_values(lead_in: LeadFields, email: str | None, assigned_to: uuid.UUID | None) -> dict[str, Any]:
    """The columns a new lead takes from what a client sent, as the bulk add stores them."""
    values = lead_repository.lead_values(lead_in.__dict__, email=email, assigned_to=assigned_to)
    return dict(zip(lead_repository.LEAD_VALUES, values, strict=True))


def storable_or_400(lead_in: LeadFields) -> None:
    refused = unstorable_variable(lead_in.custom_variables)
    if refused:
        raise BadRequest(f"body/{refused}")


async def create(session: AsyncSession, principal: Principal, *, lead_in: LeadCreate) -> LeadRow:
    """A new lead; with a skip flag (or already in the same campaign or list), the existing lead instead."""
    storable_or_400(lead_in)
    if lead_in.campaign is not None and lead_in.list_id is not None:
        raise BadRequest("body must not have both properties 'campaign' and 'list_id'")
    email = email_or_400(lead_in.email, "body/email") if lead_in.email else None
    if email is None and (lead_in.list_id is None or not (lead_in.first_name or lead_in.last_name)):
        raise BadRequest("body must have required property 'email'")
    workspace_id = principal.workspace_id
    await check_container(
        session, workspace_id=workspace_id, campaign_id=lead_in.campaign, list_id=lead_in.list_id
    )
    await check_members(
        session, workspace_id=workspace_id, user_ids=[lead_in.assigned_to], field="body/assigned_to"
    )
    if email is not None:
        flags = SkipFlags(
            in_workspace=bool(lead_in.skip_if_in_workspace),
            in_campaign=bool(lead_in.skip_if_in_campaign),
            in_list=bool(lead_in.skip_if_in_list),
        )
        await lead_repository.hold_lead_writes(
            session,
            workspace_id=workspace_id,
            container_id=lead_in.campaign or lead_in.list_id,
            workspace_wide=flags.any,
        )
        for _email, campaign_id, list_id in await lead_repository.existing(
            session, workspace_id=workspace_id, emails=[email]
        ):
            same = (campaign_id, list_id) == (lead_in.campaign, lead_in.list_id)
            if same or flags.skips(campaign_id, list_id):
                existing: LeadRow | None = await session.scalar(
                    select(LeadRow)
                    .where(
                        LeadRow.workspace_id == workspace_id,
                        LeadRow.email == email,
                        LeadRow.campaign_id.is_(campaign_id)
                        if campaign_id is None
                        else LeadRow.campaign_id == campaign_id,
                        LeadRow.list_id.is_(list_id) if list_id is None else LeadRow.list_id == list_id,
                    )
                    .order_by(LeadRow.id)
                    .limit(1)
                )
                if existing is not None:
                    return existing
    now = utcnow()
    lead = LeadRow(
        id=new_id(),
        workspace_id=workspace_id,
        campaign_id=lead_in.campaign,
        list_id=lead_in.list_id,
        timestamp_created=now,
        timestamp_updated=now,
        upload_method=UploadMethod.API.value,
        timestamp_last_interest_change=now if lead_in.lt_interest_status is not None else None,
        **row_values(lead_in, email, None),
    )
    session.add(lead)
    await session.flush()
    if lead_in.verify_leads_on_import and email is not None:
        await enqueue_lead_verification(session, workspace_id=workspace_id, lead_ids=[lead.id])
        await session.refresh(lead, ["verification_status"])
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_ADDED,
        affected_count=1,
        campaign_id=lead_in.campaign,
        list_id=lead_in.list_id,
        metadata={"lead_id": str(lead.id)},
    )
    return lead


async def update(session: AsyncSession, lead: LeadRow, *, lead_in: LeadFields) -> LeadRow:
    """Set the fields given; custom variables are merged into the payload (given keys win)."""
    given = lead_in.model_fields_set
    if "assigned_to" in given:
        await check_members(
            session, workspace_id=lead.workspace_id, user_ids=[lead_in.assigned_to], field="body/assigned_to"
        )
    for name in (*SETTABLE, "pl_value_lead", "assigned_to"):
        if name in given:
            setattr(lead, name, getattr(lead_in, name))
    interest_changed = False
    if "lt_interest_status" in given:
        if lead_in.lt_interest_status is None:
            raise BadRequest("body/lt_interest_status must be number")
        interest_changed = _interest_changed(lead, lead_in.lt_interest_status)
    if "custom_variables" in given:
        if lead_in.custom_variables is None:
            raise BadRequest("body/custom_variables must be object")
        storable_or_400(lead_in)
        lead.payload = {**(lead.payload or {}), **lead_in.custom_variables}
    lead.timestamp_updated = utcnow()
    await session.flush()
    if interest_changed:
        await _interest_recorded(session, lead)
    return lead


def _interest_changed(lead: LeadRow, value: int | None) -> bool:
    if value == lead.lt_interest_status:
        return False
    lead.lt_interest_status = value
    lead.timestamp_last_interest_change = utcnow()
    return True


async def _interest_recorded(session: AsyncSession, lead: LeadRow) -> None:
    """What follows a change of interest: the webhook fact and the subsequences it starts."""
    await facts.record_interest(session, [lead], lead.lt_interest_status, utcnow())
    await triggers.on_interest_status(session, lead, lead.lt_interest_status, utcnow())


async def set_interest(session: AsyncSession, lead: LeadRow, value: int | None) -> bool:
    """One lead's interest status set, or cleared with None (Instantly's "Lead" status, as
    /leads/update-interest-status's null does); False when it already was."""
    if not _interest_changed(lead, value):
        return False
    lead.timestamp_updated = utcnow()
    await session.flush()
    await _interest_recorded(session, lead)
    return True


async def remove(session: AsyncSession, principal: Principal, lead: LeadRow) -> Lead:
    view = shown(lead)
    await session.delete(lead)
    await session.flush()
    await audit_log_service.record(
        session,
        principal,
        ActivityType.LEAD_DELETION,
        affected_count=1,
        campaign_id=lead.campaign_id,
        list_id=lead.list_id,
        metadata={"lead_id": str(lead.id)},
    )
    return view
