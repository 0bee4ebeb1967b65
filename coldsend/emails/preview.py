"""`POST /emails/test`: one message through one of the workspace's accounts, over its own SMTP connection.

Nothing is stored: the spec's test email leaves no Email row. Failures come back as the spec's error codes
(in a 200) with a message saying what went wrong, never as an exception.
"""

import asyncio
import logging
import uuid

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.accounts.mailbox_settings import Sessions, smtp_endpoint_for
from coldsend.addresses import normalize_email
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.emails.schemas import PreviewEmail, PreviewFailed
from coldsend.mail.html_text import html_to_text
from coldsend.mail.message import OutgoingMessage, build_message, new_message_id
from coldsend.mail.smtp import AccountConnection, SmtpAuthError, SmtpError
from coldsend.models import Account

log = logging.getLogger(__name__)


async def account_named(session: AsyncSession, workspace_id: uuid.UUID, eaccount: str) -> Account | None:
    """The workspace's account with this address, or None."""
    try:
        email = normalize_email(eaccount)
    except ValueError:
        return None
    account: Account | None = await session.scalar(
        select(Account).where(Account.workspace_id == workspace_id, Account.email == email)
    )
    return account


def _message(account: Account, preview: PreviewEmail, text: str, recipient: str) -> bytes:
    name = " ".join(part for part in (account.first_name, account.last_name) if part)
    return build_message(
        OutgoingMessage(
            message_id=new_message_id(account.email.rpartition("@")[2]),
            date=utcnow(),
            from_email=account.email,
            from_name=name,
            to_email=recipient,
            subject=preview.subject,
            html=preview.body.html,
            text=text,
            reply_to=account.reply_to,
        )
    )


async def send(
    session: AsyncSession,
    settings: Settings,
    sessions: Sessions,
    *,
    workspace_id: uuid.UUID,
    preview: PreviewEmail,
) -> PreviewFailed | None:
    """None when every recipient's message was accepted; else the spec's error code and what happened."""
    account = await account_named(session, workspace_id, preview.eaccount)
    if account is None:
        return PreviewFailed(
            error="ACC_NOT_FOUND",
            message=f"{preview.eaccount} is not an account of this workspace: "
            "eaccount must be the email of one of its accounts",
        )
    try:
        endpoint = smtp_endpoint_for(account, settings, sessions)
    except InvalidToken:
        log.warning(
            "test email from %s: its password cannot be decrypted with the current key", account.email
        )
        return PreviewFailed(
            error="ACC_UNKNOWN_ERROR",
            message=f"The SMTP password of {account.email} cannot be decrypted with this server's secret key "
            "(was COLDSEND_SECRET_KEY changed?): set the account's password again",
        )
    server = f"{endpoint.host}:{endpoint.port}"
    connection = AccountConnection(endpoint)
    # html_to_text takes ~2 s a megabyte: off the event loop, and once for every recipient.
    text = await asyncio.to_thread(html_to_text, preview.body.html)
    try:
        for recipient in preview.to_address_email_list.split(","):
            message = _message(account, preview, text, recipient)
            await connection.send(mail_from=account.email, rcpt_to=[recipient], message=message)
    except SmtpAuthError as error:
        return PreviewFailed(
            error="ACC_AUTH_ERROR",
            message=f"The SMTP server {server} refused the login of {account.email} "
            f"(smtp_username {account.smtp_username}): {error.reply}",
        )
    except SmtpError as error:
        log.info("test email from %s failed: %s", account.email, error)
        return PreviewFailed(
            error="ACC_UNKNOWN_ERROR",
            message=f"Sending from {account.email} through {server} failed: {error.reply}",
        )
    finally:
        await connection.quit()
    return None
