"""Hard or soft: whether a delivery failure is worth another try later.

Hard: the address is gone or refused for good (no such user, no such domain, the address moved, the
account disabled, a permanent policy rejection of the address such as a list that only its members may
post to). Soft: the address may well exist but the message could not go now (mailbox full, message too
large, a temporary policy, greylisting, a block of the sender or its content, the delivery expired or was
given up after retrying a temporary failure).

Enhanced status codes (RFC 3463) decide first, because a server's reply text varies and its code does not:
x.1.x (but the sender's own address, 1.7 and 1.8), x.2.1 and x.4.4 are about the address; the rest of
x.2.x, x.3.x, x.4.x (routing, expiry), x.5.3 and x.6.x about the message or the system, soft unless the
text says the address is gone (Office 365's 5.4.1 "Recipient address rejected: Access denied"). Where
the code is vague (x.0.0, x.2.0, x.4.0, most of x.5.x, or no code) the text decides; an x.7.x policy is
soft when its text blames the sender or the content (spam, block lists, DMARC, the client host), hard
otherwise (relaying denied, a list only members may post to). A temporary failure (4.x.x) or a delivery
given up on after retrying is soft unless its text says the address does not exist: a server that answers
"450 4.1.1 user unknown" until the sender gives up has no such user.
"""

import re
from enum import StrEnum


class Severity(StrEnum):
    HARD = "hard"
    SOFT = "soft"


# x.1.x is the address (but 1.7 and 1.8, the sender's own), x.2.1 a disabled mailbox, x.4.4 no route to the
# domain. The mailbox's state (x.2.x), the system (x.3.x), the network (x.4.x), the protocol's limits (x.5.3)
# and the content (x.6.x) are soft unless the text says the address is gone; x.0.0, x.2.0, x.4.0 and the
# rest of x.5.x are vague: the text decides.
_HARD_DETAILS = frozenset({"1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.9", "1.10", "2.1", "4.4"})
_SOFT_SUBJECTS = frozenset({"1", "2", "3", "4", "6"})
_VAGUE_DETAILS = frozenset({"2.0", "4.0", "5.0", "5.1", "5.2", "5.4", "5.5"})

# The address is gone or refused for good.
_ADDRESS_GONE = re.compile(
    r"no such (?:user|mailbox|recipient|address|domain|account|list)|user unknown|unknown (?:user|recipient"
    r"|address|mailbox|local)|does(?: not|n't) exist|not exist|non-?existent|invalid (?:recipient|mailbox"
    r"|address|user)|recipient address rejected|recipient (?:not found|unknown|rejected)|mailbox unavailable"
    r"|mailbox (?:is )?(?:disabled|not found|inactive)|account (?:is |has been )?(?:disabled|deactivated"
    r"|closed|suspended|terminated)|no mailbox|(?:address|user|domain|host) (?:not found|couldn't be found"
    r"|could not be found)|(?:wasn't|was not) found|not listed in|not a valid|unroute?able|no longer"
    r"|has (?:left|moved)|\bmoved\b|does not accept mail|null ?mx|bad destination|illegal alias"
    r"|relay(?:ing)? (?:access )?denied|not permitted to relay|access denied|not (?:allowed|authori[sz]ed"
    r"|permitted) to (?:post|send)|only (?:subscribers|members)|non-?member|not a member|may not exist"
    r"|not accepting mail from"
    r"|unbekannt|existiert nicht|gibt es nicht|inconnu|n'existe|desconocido|no existe|sconosciuto"
    r"|non esiste|inesistente|onbekend|bestaat niet|desconhecido|n(?:ão|ao) existe|inexistente"
    r"|не существует|несуществующ|неизвестн|не найден|нет такого|存在しません|宛先不明|見つかりません"
    r"|受信拒否|不存在|找不到",
    re.IGNORECASE,
)
# The mailbox's or the system's state: worth another try.
_STATE = re.compile(
    r"mailbox (?:is )?full|(?:is|was|are) (?:now )?full\b|\bfull (?:mailbox|mail ?folder|inbox)|over ?quota"
    r"|quota|insufficient (?:system )?storage|out of (?:storage|space)|limit exceeded"
    r"|exceeded (?:the |its )?\w* ?limit"
    r"|too (?:large|big)|size limit|exceeds? (?:the )?(?:maximum|size)|greylist|graylist|try (?:again|later)"
    r"|come back later|temporar|rate limit|too many|expired|too long in (?:the )?queue|in the queue too long"
    r"|timed? ?out|connection (?:refused|reset|lost)|deferred|congestion|\bbusy\b|\blocked\b"
    r"|not accepting messages"
    r"|\bloop(?:s|ing)?\b|not (?:reachable|responding)|unreachable|network problem"
    r"|\bvoll\b|speicher|\bplein|\bllen[oa]\b|\bpien[oa]\b|\bvol\b|\bcheia\b|lotada|переполнен|容量|いっぱい|満杯",
    re.IGNORECASE,
)
# A block of the sender or its content, not of the address: worth another try once the sender is fixed.
_SENDER_POLICY = re.compile(
    r"spam|blocked|block ?list|black ?list|\brbl\b|spamhaus|reputation|content (?:filter|policy|restriction"
    r"|rejected)|message content|virus|malware|phish|policy|banned|unsolicited",
    re.IGNORECASE,
)
# The reply names the sender as the problem: its address, host, authentication. Says more than the words
# about the recipient a reply may add ("Sender address rejected: Domain not found").
_SENDER_BLAMED = re.compile(
    r"sender (?:address )?rejected|rejected sender|client host|your (?:ip|host|server|domain)"
    r"|sending (?:ip|server|domain)|reverse dns|\bptr\b|\bhelo\b"
    r"|dmarc|\bspf\b|dkim|unauthenticated|\baup\b|network not allowed"
    r"|(?:ip|host) (?:address )?(?:is )?(?:blocked|listed|not allowed)|misconfigur",
    re.IGNORECASE,
)
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


def severity(status: str | None, text: str | None = None, *, expired: bool = False) -> Severity:
    """The severity of a failure from its enhanced status code (`5.2.2`), its text, and whether the
    failure was given up on after retrying (an expired DSN, "I've given up", "retry timeout exceeded")."""
    text = text or ""
    code = _STATUS.match(status or "")
    if expired or (code is not None and code.group(1) == "4"):
        return _temporary(text)
    if code is None:
        return _by_text(text)
    subject, detail = code.group(2), f"{code.group(2)}.{code.group(3)}"
    if subject == "7" or detail == "1.0":  # a policy, an "address" status: the sender's, or the recipient's
        blamed = _SENDER_BLAMED.search(text) or _SENDER_POLICY.search(text) or _STATE.search(text)
        return Severity.SOFT if blamed else Severity.HARD
    if detail in _HARD_DETAILS:
        return Severity.HARD
    if detail in _VAGUE_DETAILS or subject not in _SOFT_SUBJECTS:
        return _by_text(text)
    return Severity.HARD if _ADDRESS_GONE.search(text) else Severity.SOFT


def _temporary(text: str) -> Severity:
    """A temporary failure given up on: soft, unless the server said the address does not exist."""
    if _STATE.search(text) or _SENDER_POLICY.search(text) or _SENDER_BLAMED.search(text):
        return Severity.SOFT
    return Severity.HARD if _ADDRESS_GONE.search(text) else Severity.SOFT


def _by_text(text: str) -> Severity:
    if _SENDER_BLAMED.search(text):
        return Severity.SOFT
    if _ADDRESS_GONE.search(text):
        return Severity.HARD
    if _STATE.search(text) or _SENDER_POLICY.search(text):
        return Severity.SOFT
    return Severity.HARD


_ENHANCED_STATUS_IN_TEXT = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)")


def reply_severity(reply: str) -> Severity:
    """The severity of a permanent SMTP reply (`552 5.2.2 Mailbox full`), read from its enhanced status
    code and text."""
    status = _ENHANCED_STATUS_IN_TEXT.search(reply[:1000])
    return severity(status.group() if status else None, reply[:1000])
