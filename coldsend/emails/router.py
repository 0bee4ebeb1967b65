import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from coldsend import errors
from coldsend.analytics.dates import parse_timestamp
from coldsend.emails import manual as manual_service
from coldsend.emails import preview as preview_service
from coldsend.emails import service as email_service
from coldsend.emails.schemas import (
    Email,
    EmailForward,
    EmailKind,
    EmailMode,
    EmailReply,
    EmailUpdate,
    PreviewEmail,
    PreviewFailed,
    PreviewSent,
    ThreadMarkedRead,
    UnreadCount,
)
from coldsend.http.auth import Authorized
from coldsend.http.deps import Session
from coldsend.http.pagination import Cursor
from coldsend.http.query import comma_list, trimmed
from coldsend.http.rate_limit import RateLimiter
from coldsend.http.responses import doc
from coldsend.http.schemas import Page
from coldsend.models import Email as EmailRow

router = APIRouter(prefix="/api/v2/emails", tags=["Email"])

PREVIEWS_PER_MINUTE = 10
LIST_NOTES = (
    "Sent campaign mail, and the replies and auto-replies to it that the inbox loop reads over IMAP "
    "(ue_type 2, in the thread of the mail they answer; other received mail is not listed). Cursor = id "
    "(UUIDv7). "
    "marked_as_done=true matches nothing (emails cannot be marked done here); "
    "the 20/min limit is not enforced."
)
PREVIEW_NOTES = (
    "Sent for real over the account's SMTP server, one message per recipient, not stored; "
    "ACC_AUTH_ERROR when the login is refused, ACC_NOT_FOUND for an address that is not one of the "
    f"workspace's accounts, ACC_UNKNOWN_ERROR otherwise, each with a `message` naming the account and what "
    f"its server answered. {PREVIEWS_PER_MINUTE}/min per workspace (429)."
)


async def _filters(
    search: Annotated[str | None, Query(description='A lead email, or "thread:<thread id>"')] = None,
    campaign_id: Annotated[uuid.UUID | None, Query(description="Emails of this campaign")] = None,
    list_id: Annotated[uuid.UUID | None, Query(description="Emails of leads of this list")] = None,
    i_status: Annotated[
        int | None, Query(ge=-(2**31), le=2**31 - 1, description="Interest status of the email")
    ] = None,
    eaccount: Annotated[str | None, Query(description="Sending accounts, comma-separated")] = None,
    is_unread: Annotated[bool | None, Query(description="Only unread (true) or read (false) emails")] = None,
    has_reminder: Annotated[
        bool | None, Query(description="Only emails with (or without) a reminder")
    ] = None,
    mode: Annotated[EmailMode | None, Query(description="Focused, others or all")] = None,
    scheduled_only: Annotated[bool, Query(description="Only scheduled emails")] = False,
    assigned_to: Annotated[
        uuid.UUID | None, Query(description="Emails of leads assigned to this user")
    ] = None,
    lead: Annotated[str | None, Query(description="The lead's email address")] = None,
    company_domain: Annotated[str | None, Query(description="The domain of the lead's address")] = None,
    marked_as_done: Annotated[bool | None, Query(description="Whether the email is marked as done")] = None,
    email_type: Annotated[EmailKind | None, Query(description="received, sent or manual")] = None,
    min_timestamp_created: Annotated[str | None, Query(description="Created at or after (ISO 8601)")] = None,
    max_timestamp_created: Annotated[str | None, Query(description="Created at or before (ISO 8601)")] = None,
    latest_of_thread: Annotated[bool, Query(description="Only the latest email of each thread")] = False,
) -> email_service.Filters:
    accounts = comma_list(trimmed(eaccount))
    return email_service.Filters(
        search=trimmed(search),
        campaign_id=campaign_id,
        list_id=list_id,
        i_status=i_status,
        eaccounts=tuple(part.lower() for part in accounts) if accounts is not None else None,
        is_unread=is_unread,
        has_reminder=has_reminder,
        mode=mode,
        scheduled_only=scheduled_only,
        assigned_to=assigned_to,
        lead=trimmed(lead),
        company_domain=trimmed(company_domain),
        marked_as_done=marked_as_done,
        email_type=email_type,
        min_timestamp_created=parse_timestamp("min_timestamp_created", min_timestamp_created),
        max_timestamp_created=parse_timestamp("max_timestamp_created", max_timestamp_created),
        latest_of_thread=latest_of_thread,
    )


Filters = Annotated[email_service.Filters, Depends(_filters)]


async def _email(id: uuid.UUID, principal: Authorized, session: Session) -> EmailRow:
    email = await email_service.get(session, workspace_id=principal.workspace_id, email_id=id)
    if email is None:
        raise errors.NotFound()
    return email


EmailOf = Annotated[EmailRow, Depends(_email)]


def _preview_limiter(request: Request) -> RateLimiter:
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "preview_rate_limiter", None)
    if limiter is None:
        limiter = state.preview_rate_limiter = RateLimiter(
            per_second=PREVIEWS_PER_MINUTE, per_minute=PREVIEWS_PER_MINUTE
        )
    return limiter


@router.get(
    "", operation_id="listEmail", response_model=Page[Email], openapi_extra={"x-coldsend-notes": LIST_NOTES}
)
async def list_emails(
    principal: Authorized,
    session: Session,
    cursor: Cursor,
    filters: Filters,
    sort_order: Annotated[
        str, Query(pattern="^(asc|desc)$", description="By creation; default desc")
    ] = "desc",
    preview_only: Annotated[bool, Query(description="Leave the body out (content_preview stays)")] = False,
) -> Page[Email]:
    """List email"""
    rows, more = await email_service.list_page(
        session,
        workspace_id=principal.workspace_id,
        filters=filters,
        limit=cursor.limit,
        after=cursor.after_uuid(),
        descending=sort_order == "desc",
    )
    items = [email_service.shown(row, preview_only=preview_only) for row in rows]
    return Page(items=items, next_starting_after=str(rows[-1].id) if more else None)


@router.get("/unread/count", operation_id="countUnreadEmails", response_model=UnreadCount)
async def count_unread_emails(principal: Authorized, session: Session) -> UnreadCount:
    """Count unread emails"""
    return UnreadCount(count=await email_service.count_unread(session, workspace_id=principal.workspace_id))


@router.post(
    "/test",
    operation_id="sendTestEmail",
    response_model=PreviewSent | PreviewFailed,
    responses=doc(errors.BadRequest, errors.RateLimited),
    openapi_extra={"x-coldsend-notes": PREVIEW_NOTES},
)
async def send_test_email(
    body: PreviewEmail, request: Request, principal: Authorized, session: Session
) -> PreviewSent | PreviewFailed:
    """Send a test email"""
    if not _preview_limiter(request).allow(principal.workspace_id):
        raise errors.RateLimited()
    failure = await preview_service.send(
        session,
        request.app.state.settings,
        request.app.state.sessionmaker,
        workspace_id=principal.workspace_id,
        preview=body,
    )
    return failure or PreviewSent()


MANUAL_NOTES = (
    "Sent at once over the account's SMTP server (a refusal is a 400 saying why) and stored as a manual "
    "email (ue_type 3) in the thread of the email answered; html or text alone makes the other part."
)


@router.post(
    "/reply",
    operation_id="replyToEmail",
    response_model=Email,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={
        "x-coldsend-notes": MANUAL_NOTES
        + " To: the email's Reply-To or sender (for mail we sent, its recipients), then"
        " additional_recipients; In-Reply-To and References thread it."
    },
)
async def reply_to_email(
    body: EmailReply, request: Request, principal: Authorized, session: Session
) -> Email:
    """Reply to an email"""
    email = await manual_service.reply(
        session,
        request.app.state.settings,
        request.app.state.sessionmaker,
        workspace_id=principal.workspace_id,
        request=body,
    )
    return email_service.shown(email)


@router.post(
    "/forward",
    operation_id="forwardEmail",
    response_model=Email,
    responses=doc(errors.BadRequest, errors.NotFound),
    openapi_extra={
        "x-coldsend-notes": MANUAL_NOTES
        + " include_original_body appends the original under a Forwarded message block; forwarded_attachments"
        " is accepted and ignored (attachments are not stored here)."
    },
)
async def forward_email(
    body: EmailForward, request: Request, principal: Authorized, session: Session
) -> Email:
    """Forward an email"""
    email = await manual_service.forward(
        session,
        request.app.state.settings,
        request.app.state.sessionmaker,
        workspace_id=principal.workspace_id,
        request=body,
    )
    return email_service.shown(email)


@router.post(
    "/threads/{thread_id}/mark-as-read",
    operation_id="markThreadAsRead",
    response_model=ThreadMarkedRead,
    responses=doc(errors.NotFound),
)
async def mark_thread_as_read(
    thread_id: uuid.UUID, principal: Authorized, session: Session
) -> ThreadMarkedRead:
    """Mark all emails in a thread as read"""
    found = await email_service.mark_thread_read(
        session, workspace_id=principal.workspace_id, thread_id=str(thread_id)
    )
    if not found:
        raise errors.NotFound()
    return ThreadMarkedRead(success=True)


@router.get("/{id}", operation_id="getEmail", response_model=Email, responses=doc(errors.NotFound))
async def get_email(email: EmailOf) -> Email:
    """Get email"""
    return email_service.shown(email)


@router.patch(
    "/{id}",
    operation_id="patchEmail",
    response_model=Email,
    responses=doc(errors.BadRequest, errors.NotFound),
)
async def patch_email(id: uuid.UUID, body: EmailUpdate, principal: Authorized, session: Session) -> Email:
    """Patch email (is_unread, reminder_ts)"""
    email = await _email(id, principal, session)
    await email_service.update_email(session, email, changes=body.model_dump(exclude_unset=True))
    return email_service.shown(email)


@router.delete("/{id}", operation_id="deleteEmail", response_model=Email, responses=doc(errors.NotFound))
async def delete_email(email: EmailOf, session: Session) -> Email:
    """Delete email"""
    shown = email_service.shown(email)
    await email_service.delete(session, email)
    return shown
