"""The few kinds every SMTP failure is classified into, which the engine and the API act on (all
`SmtpError`):
- `SmtpAuthError`: the server refused the account's credentials (or offers no AUTH): account-level.
- `SmtpSecurityError` (an `SmtpAuthError`): the connection is not as secure as the account's smtp_tls
  requires (no STARTTLS offered, or a password that would go in the clear): account-level.
- `SmtpConnectionError`: no connection, TLS failure, timeout, connection lost: try again later.
- `SmtpTemporaryError`: a 4xx reply to MAIL, RCPT or DATA (421, 451, 454...): retry with backoff.
- `SmtpPermanentError`: a 5xx reply to MAIL, RCPT or DATA (550 5.1.1...): do not retry.
Each carries `code`, `reply` and `stage` ("connect", "auth", "mail", "rcpt", "data", "dot") when known.
"""

import asyncio
import ssl
from typing import Literal

import aiosmtplib

from coldsend.mail import xoauth2

Stage = Literal["connect", "auth", "mail", "rcpt", "data", "dot"]

_AUTH_REQUIRED = 530


class SmtpError(Exception):
    """An SMTP send or check that did not succeed."""

    def __init__(self, message: str, *, code: int | None = None, stage: Stage | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reply = message
        self.stage = stage


class SmtpAuthError(SmtpError):
    """The account's credentials were refused: nothing sent from it can succeed until it is fixed."""


class SmtpSecurityError(SmtpAuthError):
    """The account's TLS rule forbids going on: nothing can be sent from it until it is fixed."""


class SmtpConnectionError(SmtpError):
    """The server could not be reached or the connection broke; nothing says the message is wrong."""


class SmtpTemporaryError(SmtpError):
    """A 4xx reply: the server asks to try again later."""


class SmtpPermanentError(SmtpError):
    """A 5xx reply to the sender, a recipient or the message: retrying will not help."""


def _reply_error(code: int, message: str, stage: Stage) -> SmtpError:
    text = f"{code} {message}".strip()
    if stage == "mail" and code == _AUTH_REQUIRED:
        return SmtpAuthError(
            f"{text} (the server requires AUTH: give the account SMTP credentials)", code=code, stage=stage
        )
    if 400 <= code < 500:
        return SmtpTemporaryError(text, code=code, stage=stage)
    return SmtpPermanentError(text, code=code, stage=stage)


def classify(error: BaseException, stage: Stage) -> SmtpError:
    """Map an aiosmtplib/OS error raised at `stage` to one of the SmtpError kinds."""
    if isinstance(error, SmtpError):
        return error
    if isinstance(error, xoauth2.TokenRefused):
        return SmtpAuthError(str(error), stage="auth")
    if isinstance(error, xoauth2.TokenUnavailable):
        return SmtpConnectionError(str(error), stage="auth")
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return SmtpAuthError(f"{error.code} {error.message}", code=error.code, stage="auth")
    if isinstance(error, aiosmtplib.SMTPConnectResponseError):
        return SmtpConnectionError(f"{error.code} {error.message}", code=error.code, stage="connect")
    if isinstance(error, aiosmtplib.SMTPResponseException) and not isinstance(
        error, aiosmtplib.SMTPHeloError
    ):
        return _reply_error(error.code, error.message, stage)
    if isinstance(error, aiosmtplib.SMTPHeloError):
        return SmtpConnectionError(f"{error.code} {error.message}", code=error.code, stage="connect")
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        first = error.recipients[0]
        return _reply_error(first.code, first.message, "rcpt")
    if stage == "auth" and isinstance(error, aiosmtplib.SMTPException):
        return SmtpAuthError(str(error), stage="auth")  # e.g. the server offers no AUTH at all
    if isinstance(error, aiosmtplib.SMTPException | OSError | ssl.SSLError | asyncio.TimeoutError):
        return SmtpConnectionError(f"{type(error).__name__}: {error}", stage=stage)
    raise error
