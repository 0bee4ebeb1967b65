"""Whether a message without a machine-readable report is a mail system's: who sent it and how, and what
its explanation says (a final failure, a delay, a post held for moderation).

A person can write "undeliverable", quote a bounce or forward one, so words alone never make a bounce:
the message must first look machine-written. One strong sign is enough: a mail-system sender, an
X-Failed-Recipients header, a multipart/report, the opening lines of known mail software, or a message
that answers nothing, is no auto-reply and opens by saying a delivery to an address failed. Weak signs
(an automatic submission or a null Return-Path, a report-like subject that is no reply, a list's
administrative sender; then that opening in a message that answers another, or an SMTP dialogue written
out unquoted) count only two together, the text's only with one from the headers or when the text's first
line says a delivery failed: a vacation reply has one sign, a person can paste a transcript but writes
something of their own first.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from coldsend.addresses import address_key
from coldsend.mail.inbound.autoreplies import has_auto_reply_subject, is_auto_reply
from coldsend.mail.inbound.headers import Headers, first_mailbox, first_word
from coldsend.mail.inbound.phrases import (
    DELAY,
    FAILURE,
    FAILURE_SUBJECT,
    FORWARD_PREFIX,
    LIST_ADMIN_LOCAL_PART,
    MTA_BOILERPLATE,
    PENDING,
    REPLY_PREFIX,
    REPORT_SUBJECT,
    SMTP_DIALOGUE,
    SYSTEM_SENDER_LOCAL_PART,
    SYSTEM_SENDER_NAME,
    gave_up,
)
from coldsend.mail.inbound.recipients import ADDRESS
from coldsend.mail.inbound.report import PERMANENT_REPLY, evidence, lines_of

_OPENING_LINES = 20
_DIGEST = re.compile(r"\bdigest\b", re.IGNORECASE)
_NOTICE_LINES = 12  # a notice says what failed in its first lines
_NOTICE_ADDRESS_LINES = 3  # and names the address on that line or just below it


class Outcome(StrEnum):
    FAILED = "failed"
    DELAYED = "delayed"
    HELD = "held"  # a list post waiting for a moderator


@dataclass(frozen=True, slots=True)
class Signals:
    system_sender: bool
    strong: bool
    weak: int

    @property
    def machine(self) -> bool:
        return self.strong or self.weak >= 2


def is_from_mail_system(headers: Headers) -> bool:
    """Sent by mail software: MAILER-DAEMON, postmaster and the like as the address's local part, or a
    display name that is the software's ("Mail Delivery System"); a person called Postmaster is not."""
    mailbox = first_mailbox("from", headers.first("from"))
    if mailbox is None:
        raw = (headers.first("from") or "").strip().strip("<>")
        return SYSTEM_SENDER_LOCAL_PART.match(raw.rpartition("@")[0] or raw) is not None
    name, address = mailbox
    local = (address.rpartition("@")[0] if "@" in address else address).strip().strip('"')
    return bool(
        SYSTEM_SENDER_LOCAL_PART.match(local)
        or SYSTEM_SENDER_NAME.fullmatch(name.strip().strip('"'))
        or SYSTEM_SENDER_NAME.fullmatch(local)
    )


def _from_list_admin(headers: Headers) -> bool:
    if first_word(headers.first("x-list-administrivia")) == "yes":
        return True
    for raw in (headers.first("from"), headers.first("sender")):
        mailbox = first_mailbox("from", raw)
        if mailbox and LIST_ADMIN_LOCAL_PART.fullmatch(mailbox[1].rpartition("@")[0]):
            return True
    return False


def report_subject(subject: str) -> bool:
    """A subject a mail system gives its reports; a reply's or a forward's ("Re: Undeliverable") is not."""
    return REPLY_PREFIX.match(subject) is None and REPORT_SUBJECT.search(subject) is not None


def _says_failed(line: str) -> bool:
    return bool(FAILURE.search(line) or PERMANENT_REPLY.search(line) or gave_up(line))


def opens_with_a_failure(explanation: str, sender: str | None) -> bool:
    """The first lines say a delivery failed and name the address, not the sender's own (a mailbox that
    answers for itself is an auto-reply): "Your message could not be delivered to\\nuser@example.org",
    "Unknown user: user@example.org"."""
    lines = [line for line in lines_of(explanation) if line.strip()][:_NOTICE_LINES]
    for index, line in enumerate(lines):
        if _says_failed(line):
            named = ADDRESS.findall("\n".join(lines[index : index + 1 + _NOTICE_ADDRESS_LINES]))
            if named:
                return address_key(named[0]) != sender
    return False


def read_signals(headers: Headers, subject: str, text: str, top_type: str, *, answers: bool) -> Signals:
    """How machine-written a message looks; `answers`: it has In-Reply-To or References."""
    system_sender = is_from_mail_system(headers)
    explanation = "\n".join(lines_of(text)[: _OPENING_LINES * 4])
    list_traffic = bool(headers.first("list-id")) or first_word(headers.first("precedence")) == "list"
    mailbox = first_mailbox("from", headers.first("from"))
    sender = address_key(mailbox[1]) if mailbox else None
    forwarded = FORWARD_PREFIX.match(subject) is not None  # a person passing a report on
    notice = not (list_traffic or forwarded) and opens_with_a_failure(explanation, sender)
    strong = (
        system_sender
        or bool(headers.all("x-failed-recipients"))
        or top_type == "multipart/report"
        or MTA_BOILERPLATE.search("\n".join(lines_of(text)[:_OPENING_LINES])) is not None
        or (notice and not answers and not is_auto_reply(headers, subject))
    )
    submitted = first_word(headers.first("auto-submitted"))
    automatic = (submitted not in ("", "no")) or (headers.first("return-path") or "").strip() == "<>"
    dialogue = not list_traffic and SMTP_DIALOGUE.search("\n".join(lines_of(text)[: _OPENING_LINES * 2]))
    by_headers = sum((automatic, report_subject(subject), _from_list_admin(headers)))
    # What the text looks like counts with a sign from the headers, or when its very first line says a
    # delivery failed: a person can paste a transcript, but writes something of their own first.
    opening = next((line for line in lines_of(text) if line.strip()), "")
    weak = by_headers + (notice + bool(dialogue) if by_headers or _says_failed(opening) else 0)
    if not strong and (has_auto_reply_subject(subject) or (list_traffic and _DIGEST.search(subject))):
        weak = 0  # "Automatic reply: ...", "Sales Digest, Vol 12": a person's software, a list's posts
    return Signals(system_sender=system_sender, strong=strong, weak=weak)


def outcome(signals: Signals, subject: str, explanation: str, *, by_subject: bool = True) -> Outcome | None:
    """What a machine-written message's explanation says: a final failure (a 5xx reply, a give-up, or a
    failure in words), a delay (still being retried), a post held for moderation; None if nothing. A
    mail system whose text says nothing readable is taken at its subject's word."""
    if not signals.machine:
        return None
    flat = evidence(explanation)
    if PERMANENT_REPLY.search(explanation) or gave_up(flat):
        return Outcome.FAILED
    pending, failure = PENDING.search(flat), FAILURE.search(flat)
    if pending is not None and (failure is None or pending.start() < failure.start()):
        return Outcome.HELD
    fresh_subject = REPLY_PREFIX.match(subject) is None
    if DELAY.search(flat) or (fresh_subject and DELAY.search(subject)):
        return Outcome.DELAYED
    if failure is not None:
        return Outcome.FAILED
    if by_subject and signals.strong and fresh_subject and FAILURE_SUBJECT.search(subject):
        return Outcome.FAILED
    return None
