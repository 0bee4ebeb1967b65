"""The new part of a reply: the text above the message it quotes."""

import re

from coldsend.mail.inbound.headers import MAX_SCANNED_LINE, one_line

_PREVIEW_LENGTH = 200
_ATTRIBUTION = re.compile(
    r"(?:on|am|le|el|il|op)\s.*\b(?:wrote|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef)\b[^:]*:",
    re.IGNORECASE,
)
_ATTRIBUTION_LINES = 3  # Gmail wraps a long "On <date>, <name> <address> wrote:" over lines
_ORIGINAL_MESSAGE = re.compile(
    r"^-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\*?(?:from|von|de)\s?:", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet)\s?:", re.IGNORECASE
)
_OUTLOOK_FIELD_LINES = 4
_SEPARATOR_LINE = re.compile(r"^_{5,}$")


def new_part(text: str) -> str:
    """The new part of a reply: the lines above the quoted message (and the rule Outlook draws above
    its header block), trimmed."""
    raw_lines = text.split("\n")
    lines = [line.strip() for line in raw_lines]
    end = next((index for index in range(len(lines)) if _starts_quote(lines, index)), len(lines))
    while end and (not lines[end - 1] or _SEPARATOR_LINE.match(lines[end - 1])):
        end -= 1
    return "\n".join(raw_lines[:end]).strip()


def preview_line(new_part: str) -> str:
    """The new part on one line, at most 200 characters."""
    return one_line(new_part[: _PREVIEW_LENGTH * 4])[:_PREVIEW_LENGTH].rstrip()


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    if line.startswith(">") or line.lower().endswith("wrote:") or _ORIGINAL_MESSAGE.match(line):
        return True
    return _is_attribution(lines, index) or _is_outlook_header_block(lines, index)


def _is_attribution(lines: list[str], index: int) -> bool:
    following = lines[index : index + _ATTRIBUTION_LINES]
    for count in range(1, len(following) + 1):
        candidate = " ".join(following[:count])
        if len(candidate) > MAX_SCANNED_LINE:
            return False
        if _ATTRIBUTION.fullmatch(candidate):
            return True
    return False


def _is_outlook_header_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    following = lines[index + 1 : index + 1 + _OUTLOOK_FIELD_LINES]
    return any(_OUTLOOK_FIELD.match(line) for line in following)
