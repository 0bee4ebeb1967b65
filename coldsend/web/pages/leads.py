"""Leads: the table with the API's filters, search and paging; a lead's activity and emails; its interest."""

import uuid
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from coldsend import events
from coldsend.campaigns import service as campaign_service
from coldsend.emails import service as email_service
from coldsend.errors import BadRequest, NotFound
from coldsend.lead_labels import service as label_service
from coldsend.lead_lists import service as list_service
from coldsend.leads import service as lead_service
from coldsend.leads.filters import ListParams, list_page
from coldsend.leads.schemas import LeadFilter, LeadsQuery, LeadUpdate
from coldsend.models import InterestStatus, LeadStatus
from coldsend.web.context import CurrentMember, Db, Form, Member, show, text
from coldsend.web.render import redirect

router = APIRouter(prefix="/leads")

PAGE_SIZE = 50
FILTER_NAMES = {choice.value: choice.name.replace("_", " ").lower() for choice in LeadFilter}
LEAD_STATUS_NAMES = {status.value: status.name.lower() for status in LeadStatus}


async def interest_choices(db: Db, member: Member) -> list[tuple[int, str]]:
    """Built-in interest statuses, then the workspace's own lead labels."""
    choices = [(status.value, status.name.replace("_", " ").lower()) for status in InterestStatus]
    labels, _ = await label_service.list_page(db, workspace_id=member.principal.workspace_id, limit=100)
    return choices + [(label.interest_status, label.label) for label in labels]


def _query(values: dict[str, Any]) -> LeadsQuery:
    try:
        return LeadsQuery.model_validate({k: v for k, v in values.items() if v not in (None, "")})
    except ValidationError as exc:
        raise BadRequest(f"Filters not valid: {exc.errors()[0]['msg']}") from None


@router.get("")
async def list_leads(
    member: CurrentMember,
    db: Db,
    search: str = "",
    campaign: str = "",
    list_id: str = "",
    filter: str = "",
    starting_after: str = "",
) -> HTMLResponse:
    member.require("listLeads")
    query = _query(
        {
            "search": search,
            "campaign": campaign,
            "list_id": list_id,
            "filter": filter,
            "starting_after": starting_after,
            "limit": PAGE_SIZE,
        }
    )
    workspace_id = member.principal.workspace_id
    rows, cursor = await list_page(
        db, lead_service.SHOWN_COLUMNS, ListParams(workspace_id=workspace_id, query=query)
    )
    campaigns, _ = await campaign_service.list_page(
        db, workspace_id=workspace_id, filters=campaign_service.Filters(), limit=500, after=None
    )
    lists, _ = await list_service.list_page(
        db, workspace_id=workspace_id, filters=list_service.Filters(), limit=500, after=None
    )
    return await show(
        db,
        member,
        "leads/list.html",
        section="leads",
        rows=rows,
        cursor=cursor,
        params={"search": search, "campaign": campaign, "list_id": list_id, "filter": filter},
        campaigns=campaigns,
        lists=lists,
        filter_names=FILTER_NAMES,
        status_names=LEAD_STATUS_NAMES,
        interest=dict(await interest_choices(db, member)),
    )


async def _lead(db: Db, member: Member, lead_id: uuid.UUID) -> Any:
    lead = await lead_service.get(db, workspace_id=member.principal.workspace_id, lead_id=lead_id)
    if lead is None:
        raise NotFound("There is no such lead in this workspace")
    return lead


@router.get("/{lead_id}")
async def show_lead(lead_id: uuid.UUID, member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("getLead")
    lead = await _lead(db, member, lead_id)
    workspace_id = member.principal.workspace_id
    activity = await events.of_lead(db, workspace_id=workspace_id, lead_id=lead.id)
    emails: list[Any] = []
    if member.can("listEmail") and lead.email:
        found, _ = await email_service.list_page(
            db,
            workspace_id=workspace_id,
            filters=email_service.Filters(lead=lead.email),
            limit=50,
            after=None,
            descending=True,
        )
        emails = [email for email in found if email.lead_id in (None, lead.id)]
    campaign = (
        await campaign_service.get(db, workspace_id=workspace_id, campaign_id=lead.campaign_id)
        if lead.campaign_id
        else None
    )
    return await show(
        db,
        member,
        "leads/detail.html",
        section="leads",
        lead=lead,
        activity=activity,
        emails=emails,
        campaign=campaign,
        interest=await interest_choices(db, member),
        status_names=LEAD_STATUS_NAMES,
    )


async def set_interest(db: Db, member: Member, lead: Any, raw: str) -> bool:
    """Set by PATCH /leads/{id}'s rules (the webhook fact and subsequence triggers included); an empty
    choice ("not set") clears it, as /leads/update-interest-status's null does."""
    member.require("patchLead")
    try:
        value = None if raw == "" else LeadUpdate.model_validate({"lt_interest_status": int(raw)})
    except (ValueError, ValidationError):
        raise BadRequest("Choose an interest status") from None
    return await lead_service.set_interest(db, lead, value.lt_interest_status if value else None)


@router.post("/{lead_id}/interest")
async def change_interest(lead_id: uuid.UUID, member: CurrentMember, form: Form, db: Db) -> Response:
    lead = await _lead(db, member, lead_id)
    changed = await set_interest(db, member, lead, text(form, "interest"))
    member.notify("Interest status changed" if changed else "Interest status unchanged")
    back = text(form, "back")
    return redirect(back if back.startswith("/") and not back.startswith("//") else f"/leads/{lead_id}")
