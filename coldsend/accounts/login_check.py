"""Both logins of an account, checked when it is created or its mail settings change: a wrong password
or an unreachable server shows at once in the account's status (connection error, with a status_message
naming the protocol and the failure) instead of minutes later. The account is saved either way.
"""

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass

from cryptography.fernet import InvalidToken

from coldsend import deadlines
from coldsend.accounts import health, mailbox_settings
from coldsend.accounts.mailbox_settings import Sessions
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.mail import imap, smtp
from coldsend.models import Account, AccountStatus

log = logging.getLogger(__name__)

# connect and greeting, STARTTLS, TLS handshake, CAPABILITY, LOGIN, LOGOUT: each under its own timeout.
CHECK_STEPS = 6


@dataclass(frozen=True, slots=True)
class LoginFailure:
    code: str  # EAUTH, ETLS, ECONNECTION, EDECRYPT, ECONFIG
    reason: str
    command: str  # AUTH (SMTP) or LOGIN (IMAP), as the sender and the health loop say


async def check_smtp(account: Account, settings: Settings, sessions: Sessions) -> tuple[str, str] | None:
    """None when the account's SMTP server lets it in as configured; else (code, reason)."""
    try:
        endpoint = mailbox_settings.smtp_endpoint_for(account, settings, sessions)
    except InvalidToken:
        return "EDECRYPT", "the stored SMTP password cannot be decrypted (the secret key changed)"
    where = f"{endpoint.host}:{endpoint.port}"
    try:
        await smtp.check_login(endpoint)
    except smtp.SmtpSecurityError as error:
        return "ETLS", f"SMTP {where} not logged in to: {error}"
    except smtp.SmtpAuthError as error:
        return "EAUTH", f"SMTP login refused by {where}: {error}"
    except smtp.SmtpError as error:
        return "ECONNECTION", f"SMTP server {where} unreachable: {error}"
    return None


async def check_imap(account: Account, settings: Settings, sessions: Sessions) -> tuple[str, str] | None:
    """None when the account logs in to its IMAP server; else (code, reason)."""
    try:
        endpoint = mailbox_settings.imap_endpoint_for(account, settings, sessions)
    except InvalidToken:
        return "EDECRYPT", "the stored IMAP password cannot be decrypted (the secret key changed)"
    except imap.ImapError as error:
        return "ECONFIG", str(error)
    deadline = endpoint.timeout * CHECK_STEPS
    try:
        await deadlines.within(imap.check_login(endpoint), deadline)
    except TimeoutError:
        return (
            "ECONNECTION",
            f"IMAP server {endpoint.host}:{endpoint.port} gave no login within {deadline:g} s",
        )
    except imap.ImapAuthError as error:
        return "EAUTH", f"IMAP login refused by {endpoint.host}:{endpoint.port}: {error}"
    except imap.ImapSecurityError as error:
        return "ETLS", f"IMAP {endpoint.host}:{endpoint.port} not logged in to: {error}"
    except imap.ImapError as error:
        return "ECONNECTION", f"IMAP server {endpoint.host}:{endpoint.port} unreachable: {error}"
    return None


async def _within(
    check: Awaitable[tuple[str, str] | None], protocol: str, seconds: float
) -> tuple[str, str] | None:
    try:
        return await deadlines.within(check, seconds)
    except TimeoutError:
        return "ECONNECTION", f"{protocol} server gave no login within {seconds:g} s"


async def check_logins(account: Account, settings: Settings, sessions: Sessions) -> LoginFailure | None:
    """Both logins at once, under `account_check_seconds`; what failed (SMTP named first)."""
    seconds = settings.account_check_seconds
    smtp_failure, imap_failure = await asyncio.gather(
        _within(check_smtp(account, settings, sessions), "SMTP", seconds),
        _within(check_imap(account, settings, sessions), "IMAP", seconds),
    )
    found = [
        (command, failure)
        for command, failure in (("AUTH", smtp_failure), ("LOGIN", imap_failure))
        if failure
    ]
    if not found:
        return None
    command, (code, _reason) = found[0]
    return LoginFailure(code=code, reason="; ".join(reason for _, (_, reason) in found), command=command)


async def apply(account: Account, settings: Settings, sessions: Sessions) -> bool:
    """Check the account's logins and set its status: connection error with why, or back to active
    from connection error once they work. A paused account stays paused. Whether it entered
    connection error."""
    failure = await check_logins(account, settings, sessions)
    if failure is not None:
        log.warning(
            "account %s cannot log in (%s %s): %s",
            account.email,
            failure.command,
            failure.code,
            failure.reason,
        )
        if account.status in health.FAILABLE:
            account.status = AccountStatus.CONNECTION_ERROR
            account.status_message = {
                "code": failure.code,
                "e_message": failure.reason,
                "command": failure.command,
            }
            account.timestamp_updated = utcnow()
            return True
    elif account.status == AccountStatus.CONNECTION_ERROR:
        account.status = AccountStatus.ACTIVE
        account.status_message = None
        account.timestamp_updated = utcnow()
    return False
