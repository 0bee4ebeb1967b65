"""Hard or soft: whether a delivery failure is worth another try later.

Hard: the address is gone or refused for good (no such user, no such domain, the address moved, a
permanent policy rejection of the address). Soft: the address exists but the message could not go now
(mailbox full, message too large, a temporary policy, greylisting, the report says the delivery expired).
Enhanced status codes (RFC 3463) decide first, because a server's reply text varies and its code does
not; where the code is missing or too vague (5.0.0, x.7.1), the reply text decides.
"""

import re
from enum import StrEnum


class Severity(StrEnum):
    HARD = "hard"
    SOFT = "soft"


# Subject.detail codes that are about the message or the mailbox's state, not the address.
_SOFT_DETAILS = frozenset(
    {
        "2.2",  # mailbox full
        "2.3",  # message length exceeds administrative limit
        "3.1",  # mail system full
        "3.4",  # message too big for system
        "4.1",  # no answer from host
        "4.2",  # bad connection
        "4.5",  # system congestion
        "4.7",  # delivery time expired
        "7.0",  # other policy status: often a temporary block
    }
)
_SOFT_TEXT = re.compile(
    r"mailbox (?:is )?full|over ?quota|quota exceeded|insufficient (?:system )?storage|too large|size limit"
    r"|too big|greylist|try (?:again )?later|temporar|rate limit|too many|expired|too long in queue"
    r"|timed? ?out|out of (?:storage|space)",
    re.IGNORECASE,
)
_HARD_TEXT = re.compile(
    r"no such (?:user|mailbox|recipient|address|domain)|user unknown|unknown user|does not exist|not exist"
    r"|invalid (?:recipient|mailbox|address)|address rejected|mailbox unavailable|recipient rejected"
    r"|account (?:has been )?disabled|no mailbox|not found|host not found|domain not found|unrouteable"
    r"|has moved|no longer",
    re.IGNORECASE,
)
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


def severity(status: str | None, text: str | None = None, *, expired: bool = False) -> Severity:
    """The severity of a failure from its enhanced status code (`5.2.2`), its text, and whether the report
    said the message expired in the queue."""
    if expired:
        return Severity.SOFT
    code = _STATUS.match(status or "")
    if code is not None:
        klass, detail = code.group(1), f"{code.group(2)}.{code.group(3)}"
        if klass == "4":
            return Severity.SOFT
        if detail in _SOFT_DETAILS and not _HARD_TEXT.search(text or ""):
            return Severity.SOFT
        if detail not in ("0.0", "7.1", "7.0"):
            return Severity.HARD
    if text and _HARD_TEXT.search(text):
        return Severity.HARD
    if text and _SOFT_TEXT.search(text):
        return Severity.SOFT
    return Severity.HARD


_ENHANCED_STATUS_IN_TEXT = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)")


def reply_severity(reply: str) -> Severity:
    """The severity of a permanent SMTP reply (`552 5.2.2 Mailbox full`), read from its enhanced status
    code and text."""
    status = _ENHANCED_STATUS_IN_TEXT.search(reply[:1000])
    return severity(status.group() if status else None, reply[:1000])
