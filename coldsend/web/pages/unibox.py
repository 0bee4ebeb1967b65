"""Unibox: every account's threads, newest first, with unread counts and filters; a thread read as text,
marked read, its lead's interest set, answered and forwarded through the send path of /emails/reply."""

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from coldsend.campaigns import service as campaign_service
from coldsend.emails import manual as manual_service
from coldsend.emails import service as email_service
from coldsend.emails.schemas import EmailForward, EmailReply
from coldsend.errors import BadRequest, NotFound
from coldsend.leads import service as lead_service
from coldsend.web.context import CurrentMember, Db, Form, Member, core, settings_of, show, text
from coldsend.web.forms import checked
from coldsend.web.pages.accounts import account_emails
from coldsend.web.pages.leads import interest_choices, set_interest
from coldsend.web.render import redirect

router = APIRouter(prefix="/unibox")

PAGE_SIZE = 50


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        raise BadRequest("Not a valid id in the filters") from None


@router.get("")
async def threads(
    member: CurrentMember, db: Db, campaign: str = "", account: str = "", interest: str = "", unread: str = ""
) -> HTMLResponse:
    member.require("listEmail")
    workspace_id = member.principal.workspace_id
    try:
        lead_interest = int(interest) if interest else None
    except ValueError:
        raise BadRequest("Not a valid interest status") from None
    filters = email_service.Filters(
        campaign_id=_uuid(campaign),
        eaccounts=(account.strip().lower(),) if account else None,
        lead_interest=lead_interest,
        is_unread=True if unread else None,
        latest_of_thread=True,
    )
    rows, more = await email_service.list_page(
        db, workspace_id=workspace_id, filters=filters, limit=PAGE_SIZE, after=None, descending=True
    )
    unread_counts = await email_service.unread_by_thread(
        db, workspace_id=workspace_id, thread_ids=[row.thread_id for row in rows if row.thread_id]
    )
    campaigns, _ = await campaign_service.list_page(
        db, workspace_id=workspace_id, filters=campaign_service.Filters(), limit=500, after=None
    )
    return await show(
        db,
        member,
        "unibox/threads.html",
        section="unibox",
        rows=rows,
        more=more,
        unread=unread_counts,
        campaigns=campaigns,
        accounts=await account_emails(db, member),
        interest=await interest_choices(db, member),
        params={"campaign": campaign, "account": account, "interest": interest, "unread": unread},
        total_unread=await email_service.count_unread(db, workspace_id=workspace_id),
    )


async def _thread(db: Db, member: Member, thread_id: uuid.UUID) -> list[Any]:
    emails = await email_service.thread(
        db, workspace_id=member.principal.workspace_id, thread_id=str(thread_id)
    )
    if not emails:
        raise NotFound("There is no such thread in this workspace")
    return list(emails)


@router.get("/{thread_id}")
async def read_thread(thread_id: uuid.UUID, member: CurrentMember, db: Db) -> HTMLResponse:
    member.require("listEmail")
    emails = await _thread(db, member, thread_id)
    latest = emails[-1]
    lead = (
        await lead_service.get(db, workspace_id=member.principal.workspace_id, lead_id=latest.lead_id)
        if latest.lead_id
        else None
    )
    return await show(
        db,
        member,
        "unibox/thread.html",
        section="unibox",
        thread_id=thread_id,
        emails=emails,
        latest=latest,
        lead=lead,
        interest=await interest_choices(db, member),
        unread=any(email.is_unread == 1 for email in emails),
    )


@router.post("/{thread_id}/read")
async def mark_read(thread_id: uuid.UUID, member: CurrentMember, _form: Form, db: Db) -> Response:
    member.require("markThreadAsRead")
    await _thread(db, member, thread_id)
    await email_service.mark_thread_read(
        db, workspace_id=member.principal.workspace_id, thread_id=str(thread_id)
    )
    member.notify("Marked as read")
    return redirect(f"/unibox/{thread_id}")


@router.post("/{thread_id}/interest")
async def change_interest(thread_id: uuid.UUID, member: CurrentMember, form: Form, db: Db) -> Response:
    emails = await _thread(db, member, thread_id)
    lead_id = emails[-1].lead_id
    lead = (
        await lead_service.get(db, workspace_id=member.principal.workspace_id, lead_id=lead_id)
        if lead_id
        else None
    )
    if lead is None:
        raise NotFound("This thread has no lead")
    changed = await set_interest(db, member, lead, text(form, "interest"))
    member.notify("Interest status changed" if changed else "Interest status unchanged")
    return redirect(f"/unibox/{thread_id}")


@router.post("/{thread_id}/reply")
async def reply(
    request: Request, thread_id: uuid.UUID, member: CurrentMember, form: Form, db: Db
) -> Response:
    """What POST /emails/reply does: the same send path, recorded in the thread."""
    member.require("replyToEmail")
    emails = await _thread(db, member, thread_id)
    answered = _email_in(emails, text(form, "reply_to_uuid"))
    body = {
        "eaccount": answered.eaccount,
        "reply_to_uuid": str(answered.id),
        "subject": text(form, "subject") or f"Re: {answered.subject or ''}".strip(),
        "body": {"text": str(form.get("body") or "")},
    }
    try:
        await manual_service.reply(
            db,
            settings_of(request),
            core(request).sessionmaker,
            workspace_id=member.principal.workspace_id,
            request=checked(EmailReply, body),
        )
        member.notify("Reply sent")
    except BadRequest as exc:
        member.notify(exc.message, error=True)
    return redirect(f"/unibox/{thread_id}")


@router.post("/{thread_id}/forward")
async def forward(
    request: Request, thread_id: uuid.UUID, member: CurrentMember, form: Form, db: Db
) -> Response:
    member.require("forwardEmail")
    emails = await _thread(db, member, thread_id)
    original = _email_in(emails, text(form, "reply_to_uuid"))
    body = {
        "eaccount": original.eaccount,
        "reply_to_uuid": str(original.id),
        "to_address_email_list": text(form, "to"),
        "subject": text(form, "subject") or f"Fwd: {original.subject or ''}".strip(),
        "body": {"text": str(form.get("body") or "")},
        "include_original_body": True,
    }
    try:
        await manual_service.forward(
            db,
            settings_of(request),
            core(request).sessionmaker,
            workspace_id=member.principal.workspace_id,
            request=checked(EmailForward, body),
        )
        member.notify("Forwarded")
    except BadRequest as exc:
        member.notify(exc.message, error=True)
    return redirect(f"/unibox/{thread_id}")


def _email_in(emails: list[Any], raw: str) -> Any:
    wanted = _uuid(raw)
    for email in emails:
        if email.id == wanted:
            return email
    return emails[-1]
