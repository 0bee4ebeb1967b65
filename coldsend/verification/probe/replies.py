"""What an RCPT TO reply says about the mailbox (RFC 5321 reply codes, RFC 3463 enhanced status codes)."""

import re
from enum import StrEnum

from coldsend.verification.probe.smtp_probe import Reply

_ENHANCED = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")
_NOT_FOUND_CODES = frozenset({550, 551, 553})
# Servers that omit enhanced codes still say it in words.
_NOT_FOUND_WORDS = (
    "user unknown",
    "unknown user",
    "no such user",
    "no such mailbox",
    "does not exist",
    "doesn't exist",
    "not found",
    "invalid recipient",
    "unknown recipient",
    "recipient rejected",
    "mailbox unavailable",
)
_FULL_WORDS = ("mailbox full", "quota", "over quota", "insufficient storage")


class Mailbox(StrEnum):
    ACCEPTED = "accepted"
    NOT_FOUND = "not_found"
    DISABLED = "disabled"
    FULL = "full"
    TRY_LATER = "try_later"
    REFUSED = "refused"  # a permanent refusal that says nothing of the mailbox (policy, blocklist...)


def enhanced_code(message: str) -> str | None:
    found = _ENHANCED.match(message)
    return found.group(1) if found else None


def mailbox(reply: Reply) -> Mailbox:
    enhanced = enhanced_code(reply.message)
    text = reply.message.lower()
    if 200 <= reply.code < 300:
        return Mailbox.ACCEPTED
    if enhanced in ("4.2.2", "5.2.2") or (reply.code == 552 and any(word in text for word in _FULL_WORDS)):
        return Mailbox.FULL
    if 400 <= reply.code < 500:
        return Mailbox.TRY_LATER
    if enhanced == "5.2.1":
        return Mailbox.DISABLED
    if reply.code in _NOT_FOUND_CODES:
        if enhanced is not None and enhanced.startswith("5.1."):
            return Mailbox.NOT_FOUND
        if enhanced is None and any(word in text for word in _NOT_FOUND_WORDS):
            return Mailbox.NOT_FOUND
    return Mailbox.REFUSED
