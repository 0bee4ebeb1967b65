"""`POST /emails/reply` and `POST /emails/forward`: a message a person wrote, sent at once through one of the
workspace's accounts over its own SMTP connection, and stored as a manual email (ue_type 3) in the thread
of the email it answers or forwards.

A reply goes to whoever wrote the email replied to (its Reply-To first; for mail we sent, to its
recipients) plus `additional_recipients`, with In-Reply-To and References, so it threads in the lead's
mail client. A forward goes to `to_address_email_list`, its note first and, with `include_original_body`,
the original below the usual "Forwarded message" block.
"""

import asyncio
import html
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts.mailbox_settings import Sessions, smtp_endpoint_for
from coldsend.clock import iso_z, utcnow
from coldsend.config import Settings
from coldsend.emails.preview import account_named
from coldsend.emails.schemas import EmailForward, EmailReply, ManualBody
from coldsend.errors import BadRequest, NotFound
from coldsend.ids import new_id
from coldsend.mail.html_text import html_to_text
from coldsend.mail.message import OutgoingMessage, build_message, new_message_id
from coldsend.mail.smtp import AccountConnection, SmtpAuthError, SmtpError
from coldsend.models import Account, Email, EmailType, Lead
from coldsend.workspace_members.membership import check_members

log = logging.getLogger(__name__)

PREVIEW_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Addressed:
    to: list[str]
    cc: list[str]
    bcc: list[str]

    @property
    def everyone(self) -> list[str]:
        return list(dict.fromkeys([*self.to, *self.cc, *self.bcc]))


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def _parts(body: ManualBody | None) -> tuple[str, str]:
    """(html, text) of a body given as either or both."""
    given_html = (body.html if body else None) or ""
    given_text = (body.text if body else None) or ""
    if given_html and not given_text:
        return given_html, html_to_text(given_html)
    if given_text and not given_html:
        return html.escape(given_text).replace("\n", "<br/>\n"), given_text
    return given_html, given_text


async def _email_and_account(
    session: AsyncSession, workspace_id: uuid.UUID, email_id: uuid.UUID, eaccount: str
) -> tuple[Email, Account]:
    original = await session.get(Email, email_id)
    if original is None or original.workspace_id != workspace_id:
        raise NotFound("Email not found")
    account = await account_named(session, workspace_id, eaccount)
    if account is None:
        raise NotFound(f"Account {eaccount} not found")
    return original, account


async def _send(
    settings: Settings, sessions: Sessions, account: Account, message: OutgoingMessage, addressed: Addressed
) -> None:
    """Over the account's SMTP server now; a failure is the caller's 400 (the account cannot send)."""
    try:
        connection = AccountConnection(smtp_endpoint_for(account, settings, sessions))
    except InvalidToken:
        raise BadRequest(
            "The account's SMTP password cannot be decrypted (the server's secret key changed)"
        ) from None
    try:
        await connection.send(
            mail_from=account.email, rcpt_to=addressed.everyone, message=build_message(message)
        )
    except SmtpAuthError as error:
        raise BadRequest(f"The account's SMTP server refused its login: {error.reply}") from None
    except SmtpError as error:
        log.info("manual email from account %s not sent: %s", account.id, error)
        raise BadRequest(f"The account's SMTP server did not take the message: {error.reply}") from None
    finally:
        await connection.quit()


def _outgoing(
    account: Account, addressed: Addressed, subject: str, parts: tuple[str, str], now: datetime
) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=new_message_id(account.email.rpartition("@")[2]),
        date=now,
        from_email=account.email,
        from_name=" ".join(part for part in (account.first_name, account.last_name) if part),
        to_email=addressed.to[0],
        to_others=addressed.to[1:],
        subject=subject,
        html=parts[0],
        text=parts[1],
        reply_to=account.reply_to or None,
        cc=addressed.cc,
        bcc=addressed.bcc,
    )


async def _record(
    session: AsyncSession,
    original: Email,
    account: Account,
    message: OutgoingMessage,
    addressed: Addressed,
    *,
    reminder_ts: datetime | None,
    assigned_to: uuid.UUID | None,
) -> Email:
    now = message.date
    email = Email(
        id=new_id(),
        workspace_id=original.workspace_id,
        timestamp_email=now,
        message_id=message.message_id,
        subject=message.subject,
        from_address_email=account.email,
        to_address_email_list=",".join(addressed.to),
        cc_address_email_list=",".join(addressed.cc) or None,
        bcc_address_email_list=",".join(addressed.bcc) or None,
        reply_to=message.reply_to,
        body={"html": message.html, "text": message.text},
        campaign_id=original.campaign_id,
        subsequence_id=original.subsequence_id,
        list_id=original.list_id,
        lead=original.lead,
        lead_id=original.lead_id,
        eaccount=account.email,
        ue_type=EmailType.SENT,
        is_unread=0,
        reminder_ts=reminder_ts,
        thread_id=original.thread_id or str(original.id),
        in_reply_to=message.in_reply_to,
        references=" ".join(message.references) or None,
        content_preview=" ".join(message.text.split())[:PREVIEW_LENGTH],
        from_address_json=[{"address": account.email, "name": message.from_name}],
        to_address_json=[{"address": address, "name": ""} for address in addressed.to],
        cc_address_json=[{"address": address, "name": ""} for address in addressed.cc] or None,
        timestamp_created=now,
        timestamp_updated=now,
    )
    session.add(email)
    if original.lead_id is not None:
        values: dict[str, object] = {"timestamp_last_touch": now, "timestamp_updated": now}
        if assigned_to is not None:
            values["assigned_to"] = assigned_to
        await session.execute(
            update(Lead)
            .where(Lead.id == original.lead_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return email


def _thread_of(original: Email) -> list[str]:
    return [*(original.references or "").split(), original.message_id]


async def reply(
    session: AsyncSession,
    settings: Settings,
    sessions: Sessions,
    *,
    workspace_id: uuid.UUID,
    request: EmailReply,
) -> Email:
    if not (request.body.html or request.body.text):
        raise BadRequest("body must have property 'html' or 'text'")
    original, account = await _email_and_account(
        session, workspace_id, request.reply_to_uuid, request.eaccount
    )
    await check_members(
        session, workspace_id=workspace_id, user_ids=[request.assigned_to], field="body/assigned_to"
    )
    if original.ue_type == EmailType.RECEIVED:
        first = [original.reply_to or original.from_address_email or ""]
    else:
        first = _split(original.to_address_email_list)
    to = list(
        dict.fromkeys(address for address in [*first, *(request.additional_recipients or [])] if address)
    )
    if not to:
        raise BadRequest("The email replied to has no address to reply to")
    addressed = Addressed(
        to=to, cc=_split(request.cc_address_email_list), bcc=_split(request.bcc_address_email_list)
    )
    parts = await asyncio.to_thread(_parts, request.body)
    message = _outgoing(account, addressed, request.subject, parts, utcnow())
    message.in_reply_to = original.message_id
    message.references = _thread_of(original)
    await _send(settings, sessions, account, message, addressed)
    return await _record(
        session,
        original,
        account,
        message,
        addressed,
        reminder_ts=request.reminder_ts,
        assigned_to=request.assigned_to,
    )


def _forwarded(original: Email, note: tuple[str, str]) -> tuple[str, str]:
    """The note, then the original under the block mail clients write above a forwarded message."""
    fields = [
        ("From", original.from_address_email or ""),
        ("Date", iso_z(original.timestamp_email)),
        ("Subject", original.subject),
        ("To", original.to_address_email_list),
    ]
    body = original.body or {}
    original_text = str(body.get("text") or html_to_text(str(body.get("html") or "")))
    original_html = str(body.get("html") or html.escape(original_text).replace("\n", "<br/>\n"))
    text_block = "\n".join(f"{name}: {value}" for name, value in fields)
    html_block = "<br/>\n".join(f"{name}: {html.escape(value)}" for name, value in fields)
    marker = "---------- Forwarded message ---------"
    return (
        f"{note[0]}<br/><br/>\n{marker}<br/>\n{html_block}<br/><br/>\n{original_html}",
        f"{note[1]}\n\n{marker}\n{text_block}\n\n{original_text}",
    )


async def forward(
    session: AsyncSession,
    settings: Settings,
    sessions: Sessions,
    *,
    workspace_id: uuid.UUID,
    request: EmailForward,
) -> Email:
    original, account = await _email_and_account(
        session, workspace_id, request.reply_to_uuid, request.eaccount
    )
    await check_members(
        session, workspace_id=workspace_id, user_ids=[request.assigned_to], field="body/assigned_to"
    )
    addressed = Addressed(
        to=_split(request.to_address_email_list),
        cc=_split(request.cc_address_email_list),
        bcc=_split(request.bcc_address_email_list),
    )
    # html_to_text takes ~2 s a megabyte: off the event loop.
    note = await asyncio.to_thread(_parts, request.body)
    if request.include_original_body:
        parts = await asyncio.to_thread(_forwarded, original, note)
    else:
        parts = note
    if not (parts[0] or parts[1]):
        raise BadRequest("body must have property 'html' or 'text' unless include_original_body is true")
    message = _outgoing(account, addressed, request.subject, parts, utcnow())
    message.references = _thread_of(original)
    if request.reply_to:
        message.reply_to = request.reply_to
    await _send(settings, sessions, account, message, addressed)
    return await _record(
        session, original, account, message, addressed, reminder_ts=None, assigned_to=request.assigned_to
    )
