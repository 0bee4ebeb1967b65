"""Campaigns: the list with its numbers, the editor (sequence, schedule, accounts, options), activate and
pause with the API's own messages, why a campaign is not sending, step analytics and a rendered preview."""

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from coldsend.accounts import listing as account_listing
from coldsend.accounts import service as account_service
from coldsend.analytics import campaigns as campaign_analytics
from coldsend.analytics.dates import Instants
from coldsend.audit_logs import service as audit_log_service
from coldsend.campaigns import flows, sending_status
from coldsend.campaigns import service as campaign_service
from coldsend.campaigns.copy import check_sequences
from coldsend.campaigns.timezones import TIMEZONES
from coldsend.custom_tags import service as tag_service
from coldsend.errors import BadRequest, NotFound
from coldsend.leads import service as lead_service
from coldsend.leads.filters import ListParams, list_page
from coldsend.leads.schemas import LeadsQuery
from coldsend.leads.variables import lead_variables
from coldsend.mail.render import TemplateError, render_copy
from coldsend.models import Account, ActivityType, Campaign, CampaignStatus, Lead
from coldsend.web import campaign_form
from coldsend.web.context import CurrentMember, Db, Form, Member, settings_of, show, text
from coldsend.web.render import redirect

router = APIRouter(prefix="/campaigns")

STATUS_NAMES = {status.value: status.name.replace("_", " ").lower() for status in CampaignStatus}
MAX_LISTED = 100


async def _campaign(db: Db, member: Member, campaign_id: uuid.UUID) -> Campaign:
    campaign = await campaign_service.get(
        db, workspace_id=member.principal.workspace_id, campaign_id=campaign_id
    )
    if campaign is None:
        raise NotFound("There is no such campaign in this workspace")
    return campaign


async def _audit(
    db: Db, member: Member, activity: ActivityType, campaign: Campaign, **metadata: object
) -> None:
    await audit_log_service.record(
        db,
        member.principal,
        activity,
        campaign_id=campaign.id,
        metadata={"campaign_id": str(campaign.id), "name": campaign.name, **metadata},
    )


@router.get("")
async def list_campaigns(member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("listCampaign")
    workspace_id = member.principal.workspace_id
    rows, more = await campaign_service.list_page(
        db, workspace_id=workspace_id, filters=campaign_service.Filters(), limit=MAX_LISTED, after=None
    )
    numbers = await campaign_analytics.per_campaign(
        db, campaign_analytics.Selection(workspace_id=workspace_id), Instants(), with_leads_count=True
    )
    by_id = {row.campaign_id: row for row in numbers}
    return await show(
        db,
        member,
        "campaigns/list.html",
        section="campaigns",
        rows=rows,
        more=more,
        numbers=by_id,
        status_names=STATUS_NAMES,
    )


async def _choices(db: Db, member: Member) -> dict[str, Any]:
    workspace_id = member.principal.workspace_id
    accounts, _ = await account_listing.list_page(
        db,
        workspace_id=workspace_id,
        filters=account_listing.Filters(),
        limit=1000,
        cursor=None,
        sort_by=None,
        descending=False,
        skip=0,
    )
    tags, _ = await tag_service.list_page(db, workspace_id=workspace_id, limit=1000, after=None)
    return {
        "accounts": [account.email for account in accounts],
        "tags": [(str(tag.id), tag.label) for tag in tags],
        "timezones": TIMEZONES,
        "day_names": campaign_form.DAY_NAMES,
        "switches": campaign_form.SWITCHES,
        "numbers": campaign_form.NUMBERS,
    }


async def _editor(
    db: Db,
    member: Member,
    state: dict[str, Any],
    *,
    campaign: Campaign | None,
    status: int = 200,
    error: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    return await show(
        db,
        member,
        "campaigns/edit.html",
        status=status,
        section="campaigns",
        state=state,
        campaign=campaign,
        error=error,
        status_names=STATUS_NAMES,
        **(await _choices(db, member)),
        **extra,
    )


@router.get("/new")
async def new_campaign(member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("createCampaign")
    return await _editor(db, member, campaign_form.state_of(None), campaign=None)


def _editing(form: FormData) -> tuple[dict[str, Any], str]:
    return campaign_form.parse(form), text(form, "editor")


@router.post("/new")
async def create_campaign(request: Request, member: CurrentMember, form: Form, db: Db) -> Response:
    member.require("createCampaign")
    state, action = _editing(form)
    if action:
        campaign_form.edit(state, action)
        return await _editor(db, member, state, campaign=None)
    try:
        body = campaign_form.to_create(state)
        await check_sequences(body.sequences, settings_of(request))
        campaign = await campaign_service.create(
            db, workspace_id=member.principal.workspace_id, campaign_in=body
        )
    except BadRequest as exc:
        return await _editor(db, member, state, campaign=None, status=400, error=exc.message)
    member.notify(f"Campaign {campaign.name} created (a draft)")
    return redirect(f"/campaigns/{campaign.id}")


async def _detail(db: Db, member: Member, request: Request, campaign: Campaign) -> dict[str, Any]:
    selection = campaign_analytics.Selection(workspace_id=member.principal.workspace_id, ids=(campaign.id,))
    totals = await campaign_analytics.per_campaign(db, selection, Instants(), with_leads_count=True)
    steps = await campaign_analytics.steps(db, selection, Instants(), with_opportunities=True)
    verdict = await sending_status.sending_status(db, campaign, settings_of(request))
    leads, _cursor = await list_page(
        db,
        lead_service.SHOWN_COLUMNS,
        ListParams(
            workspace_id=member.principal.workspace_id, query=LeadsQuery(campaign=campaign.id, limit=20)
        ),
    )
    return {
        "totals": totals[0] if totals else None,
        "step_rows": steps,
        "verdict": verdict,
        "launch_problems": flows.launch_problems(campaign),
        "sample_leads": leads,
    }


@router.get("/{campaign_id}")
async def show_campaign(
    request: Request, campaign_id: uuid.UUID, member: CurrentMember, db: Db
) -> HTMLResponse:
    member.require("getCampaign")
    campaign = await _campaign(db, member, campaign_id)
    return await _editor(
        db,
        member,
        campaign_form.state_of(campaign),
        campaign=campaign,
        **(await _detail(db, member, request, campaign)),
    )


@router.post("/{campaign_id}")
async def update_campaign(
    request: Request, campaign_id: uuid.UUID, member: CurrentMember, form: Form, db: Db
) -> Response:
    member.require("patchCampaign")
    campaign = await _campaign(db, member, campaign_id)
    state, action = _editing(form)
    detail = await _detail(db, member, request, campaign)
    if action:
        campaign_form.edit(state, action)
        return await _editor(db, member, state, campaign=campaign, **detail)
    try:
        body = campaign_form.to_update(state)
        await check_sequences(body.sequences, settings_of(request))
        changed = await campaign_service.update(db, campaign, campaign_in=body)
    except BadRequest as exc:  # refused before anything changed: the schema, the copy, then the references
        return await _editor(db, member, state, campaign=campaign, status=400, error=exc.message, **detail)
    if changed:
        await _audit(db, member, ActivityType.CAMPAIGN_UPDATE, campaign, fields=changed)
    member.notify("Campaign saved" if changed else "Nothing changed")
    return redirect(f"/campaigns/{campaign.id}")


@router.post("/{campaign_id}/activate")
async def activate_campaign(campaign_id: uuid.UUID, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("activateCampaign")
    campaign = await _campaign(db, member, campaign_id)
    try:
        if await flows.activate(db, campaign):
            await _audit(db, member, ActivityType.CAMPAIGN_LAUNCH, campaign)
        member.notify("Campaign active: it sends inside its schedule")
    except BadRequest as exc:
        member.notify(exc.message, error=True)
    return redirect(f"/campaigns/{campaign_id}")


@router.post("/{campaign_id}/pause")
async def pause_campaign(campaign_id: uuid.UUID, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("pauseCampaign")
    campaign = await _campaign(db, member, campaign_id)
    try:
        if await flows.pause(db, campaign):
            await _audit(db, member, ActivityType.CAMPAIGN_PAUSE, campaign)
        member.notify("Campaign paused")
    except BadRequest as exc:
        member.notify(exc.message, error=True)
    return redirect(f"/campaigns/{campaign_id}")


@router.post("/{campaign_id}/delete")
async def delete_campaign(campaign_id: uuid.UUID, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("deleteCampaign")
    campaign = await _campaign(db, member, campaign_id)
    await _audit(db, member, ActivityType.CAMPAIGN_DELETION, campaign)
    await campaign_service.delete(db, campaign)
    member.notify(f"Campaign {campaign.name} deleted")
    return redirect("/campaigns")


@router.get("/{campaign_id}/preview")
async def preview(
    campaign_id: uuid.UUID,
    member: CurrentMember,
    db: Db,
    step: int = 0,
    variant: int = 0,
    lead: uuid.UUID | None = None,
    account: str | None = None,
) -> HTMLResponse:
    """One variant rendered by the sender's renderer with a real lead's variables."""
    member.require("getCampaign")
    campaign = await _campaign(db, member, campaign_id)
    steps = (campaign.sequences[0].get("steps") or []) if campaign.sequences else []
    if not 0 <= step < len(steps) or not 0 <= variant < len(steps[step].get("variants") or []):
        raise NotFound("The campaign has no such step or variant")
    chosen = steps[step]["variants"][variant]
    found = (
        await lead_service.get(db, workspace_id=member.principal.workspace_id, lead_id=lead) if lead else None
    )
    the_lead = found or Lead(email="lead@example.com", first_name="Ada", last_name="Lovelace", payload={})
    senders = await campaign_service.sending_accounts(db, campaign)
    sender = await _sender(db, member, account or (senders[0] if senders else None))
    variables = lead_variables(the_lead, sender)
    try:
        rendered = await asyncio.to_thread(
            render_copy, chosen.get("subject", ""), chosen.get("body", ""), variables, seed=str(the_lead.id)
        )
        failure = None
    except TemplateError as exc:
        rendered, failure = None, str(exc)
    return await show(
        db,
        member,
        "campaigns/preview.html",
        section="campaigns",
        campaign=campaign,
        step=step,
        variant=variant,
        rendered=rendered,
        failure=failure,
        lead=found,
        sender=sender,
    )


async def _sender(db: Db, member: Member, email: str | None) -> Account:
    found = (
        await account_service.get(db, workspace_id=member.principal.workspace_id, email=email)
        if email
        else None
    )
    return found or Account(email="you@example.com", first_name="Your", last_name="Name")
