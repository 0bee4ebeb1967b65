"""A plain-text report read as a mail system writes it: the explanation, then often a copy of the
returned message; the SMTP reply and the enhanced status code it quotes."""

import re

from coldsend.mail.inbound.headers import MAX_SCANNED_LINE, one_line
from coldsend.mail.inbound.phrases import RESTATED_FIELD, RETURNED_MESSAGE_SEPARATOR

MAX_REPORT = 65_536  # a report explains itself in its first few KB
MAX_EVIDENCE = 16_384  # what phrase families are searched in: dozens of patterns, each a scan
_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,40})[ \t]*:")
# Fields only a message's own header has: a block with one of them is the returned message.
_RETURNED_ONLY = frozenset(
    {"return-path", "received", "dkim-signature", "arc-seal", "authentication-results"}
)
# Fields a returned message has, that an explanation restates one or two of at most.
_ENVELOPE_FIELDS = frozenset(
    {"message-id", "mime-version", "content-type", "x-mailer", "references", "in-reply-to"}
)
_VISIBLE_FIELDS = frozenset({"from", "to", "cc", "subject", "date", "reply-to"})
_VISIBLE_IN_A_COPY = 3
_SEPARATOR_WORDS = 6  # "Original message follows." is a separator, a sentence that mentions it is not
_DECORATION = "-=*_#~"
_HEADER_SCAN_LINES = 60
_TRAILING_CODE = 4  # "(#5.1.1)." ends its line: the reply is the line
ENHANCED_STATUS = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?!\.?\d)")
PERMANENT_STATUS = re.compile(r"(?<![\w.])5\.\d{1,3}\.\d{1,3}(?!\.?\d)")
TEMPORARY_STATUS = re.compile(r"(?<![\w.])4\.\d{1,3}\.\d{1,3}(?!\.?\d)")
# An SMTP reply: a 4yz/5yz code or an enhanced status code of the same class.
PERMANENT_REPLY = re.compile(
    r"(?<![\w.])(?:5[0-5]\d(?=[ \t:-]|$)|5\.\d{1,3}\.\d{1,3}(?!\.?\d))", re.MULTILINE
)
TEMPORARY_REPLY = re.compile(
    r"(?<![\w.])(?:4[0-5]\d(?=[ \t:-]|$)|4\.\d{1,3}\.\d{1,3}(?!\.?\d))", re.MULTILINE
)


def lines_of(text: str) -> list[str]:
    return [line[:MAX_SCANNED_LINE] for line in text[:MAX_REPORT].split("\n")]


def split_report(text: str) -> tuple[str, str]:
    """(explanation, returned copy) of a report's text.

    The copy starts at a separator line ("------ This is a copy of the message ...") or at a header block
    that only a message has (Received:, Return-Path:, ...; or Message-ID: or MIME-Version: with another
    field; or three of From/To/Cc/Subject/Date) once the explanation has begun: a report that restates the
    original's Subject: and To: on top, or writes `From: <x> RCPT: <y>` in its explanation, goes on.
    """
    lines = lines_of(text)
    prose = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_separator(line):
            return "\n".join(lines[:index]), "\n".join(lines[index + 1 :])
        names, end = _header_block(lines, index)
        if names:
            if names & _RETURNED_ONLY or (prose and _is_a_copy(names)):
                return "\n".join(lines[:index]), "\n".join(lines[index:])
            index = end
            continue
        prose = prose or bool(line.strip())
        index += 1
    return "\n".join(lines), ""


def _is_a_copy(names: set[str]) -> bool:
    return (bool(names & _ENVELOPE_FIELDS) and len(names) > 1) or len(names & _VISIBLE_FIELDS) >= (
        _VISIBLE_IN_A_COPY
    )


def _header_block(lines: list[str], start: int) -> tuple[set[str], int]:
    """The field names of the header-looking lines from `start` (continuation lines included) and the
    index after them; no names if `start` is no header line."""
    names: set[str] = set()
    index = start
    while index < len(lines):
        line = lines[index]
        field = _HEADER_LINE.match(line)
        if field is not None:
            names.add(field.group(1).lower())
        elif not (names and line[:1] in (" ", "\t") and line.strip()):
            break
        index += 1
    return names, index


def _is_separator(line: str) -> bool:
    stripped = line.strip()
    if not stripped or RETURNED_MESSAGE_SEPARATOR.search(stripped) is None:
        return False
    words = len(stripped.split())
    return (
        stripped[0] in _DECORATION
        or words <= _SEPARATOR_WORDS
        or (stripped.endswith(":") and words <= _SEPARATOR_WORDS * 2)  # "A copy of ... below this line:"
    )


def evidence(explanation: str) -> str:
    """The explanation on one line, for phrase searches (reports wrap sentences anywhere), without the
    fields of the original it restates: a restated Subject: says what the sender wrote, not what happened."""
    kept = (line for line in lines_of(explanation[:MAX_EVIDENCE]) if not RESTATED_FIELD.match(line))
    return one_line(" ".join(kept))


def reply_line(report: str, pattern: re.Pattern[str] = PERMANENT_REPLY) -> str | None:
    """The first SMTP reply `pattern` finds in a report, from its code to the end of its line; the whole
    line when the code closes it ("Sorry, no mailbox here by that name. (#5.1.1)")."""
    found = pattern.search(report)
    if found is None:
        return None
    line_end = report.find("\n", found.start())
    line_end = line_end if line_end >= 0 else len(report)
    reply = one_line(report[found.start() : line_end])
    if len(reply) - len(found.group()) < _TRAILING_CODE:
        line_start = report.rfind("\n", 0, found.start()) + 1
        reply = one_line(report[line_start:line_end])
    return reply


def status_code(report: str) -> str | None:
    """The enhanced status code a report gives for its failure: a permanent one if any, else a
    temporary one (a give-up quoting the last temporary reply)."""
    found = PERMANENT_STATUS.search(report) or TEMPORARY_STATUS.search(report)
    return found.group() if found else None


def returned_field(returned: str, name: str) -> str | None:
    """A field of the returned copy's header (its first lines), e.g. its To."""
    prefix = name.lower() + ":"
    for line in lines_of(returned)[:_HEADER_SCAN_LINES]:
        if line.lower().startswith(prefix):
            return line[len(prefix) :].strip()
    return None
