"""Account health: an account whose mail server is unreachable or refuses its login goes to connection
error (-1) and stays there, so nothing is sent from it, until the user resumes it or marks it fixed.

`mark_connection_error` is the one place that status is set: the health loop (engine/account_health.py)
calls it on IMAP failures, the sender on SMTP authentication failures.
"""

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from coldsend.clock import utcnow
from coldsend.mail.smtp_errors import SmtpError
from coldsend.models import Account, AccountStatus
from coldsend.webhooks import facts

log = logging.getLogger(__name__)

# Statuses a connection failure overrides; a paused account stays paused (its owner stopped it).
FAILABLE = (AccountStatus.ACTIVE, AccountStatus.MAINTENANCE)


async def mark_connection_error(
    session: AsyncSession,
    account: Account,
    reason: str,
    *,
    code: str = "ECONNECTION",
    command: str | None = None,
    response: str | None = None,
    response_code: int | None = None,
) -> bool:
    """Put the account in connection error with a status_message saying why; whether it changed.

    The row is re-read under a lock first, so a pause or a fix made meanwhile is not overwritten.
    """
    await session.refresh(account, with_for_update=True)
    if account.status not in FAILABLE:
        return False
    message: dict[str, Any] = {"code": code, "e_message": reason}
    if command is not None:
        message["command"] = command
    if response is not None:
        message["response"] = response
    if response_code is not None:
        message["responseCode"] = response_code
    account.status = AccountStatus.CONNECTION_ERROR
    account.status_message = message
    account.timestamp_updated = utcnow()
    await session.flush()
    await note_account_error(session, account)
    log.warning("account %s: connection error (%s): %s", account.email, code, reason)
    return True


async def smtp_login_refused(session: AsyncSession, account_id: uuid.UUID, error: SmtpError) -> None:
    """The account's SMTP login was refused (`error`, from the server): connection error, EAUTH."""
    account = await session.get(Account, account_id)
    if account is not None:
        await mark_connection_error(
            session,
            account,
            f"SMTP login refused by {account.smtp_host}:{account.smtp_port}: {error.reply}",
            code="EAUTH",
            command="AUTH",
            response=error.reply,
            response_code=error.code,
        )


async def note_account_error(session: AsyncSession, account: Account) -> None:
    """The account entered connection error: the workspace's `account_error` webhooks are owed it."""
    await facts.record_fact(
        session,
        account.workspace_id,
        "account_error",
        timestamp=utcnow(),
        account_email=account.email,
        detail={"status": account.status, "status_message": account.status_message},
    )
