"""Mail folders as IMAP LIST names them: RFC 6154 special-use roles, the usual spam folder names where the
server has none, and the quoting of folder names."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

SPECIAL_USE_FLAGS = frozenset({"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"})
# Spam folder names in use where the server has no RFC 6154 `\Junk` flag, most common first.
JUNK_NAMES = (
    "Junk",
    "Spam",
    "Junk E-mail",
    "Junk Email",
    "Junk Mail",
    "Bulk Mail",
    "[Gmail]/Spam",
    "INBOX.Junk",
    "INBOX.Spam",
    "INBOX/Junk",
    "INBOX/Spam",
)
# A LIST reply: (flags) delimiter name, the delimiter NIL or quoted, the name quoted or an atom.
_LIST_REPLY = re.compile(rb'^\(([^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") (.+)$')


@dataclass(frozen=True, slots=True)
class Folder:
    name: str
    flags: frozenset[str]  # as the server wrote them, e.g. "\\HasNoChildren", "\\Junk"

    @property
    def special_use(self) -> frozenset[str]:
        """Its RFC 6154 roles (`\\Junk`, `\\Sent`, ...), matched case-insensitively, in canonical case."""
        by_lower = {flag.lower(): flag for flag in SPECIAL_USE_FLAGS}
        return frozenset(by_lower[flag.lower()] for flag in self.flags if flag.lower() in by_lower)


def junk_folder(folders: Sequence[Folder]) -> str | None:
    for folder in folders:
        if "\\Junk" in folder.special_use:
            return folder.name
    by_lower = {folder.name.lower(): folder.name for folder in folders}
    return next((by_lower[name.lower()] for name in JUNK_NAMES if name.lower() in by_lower), None)


def quoted(name: str) -> str:
    """A folder name as an IMAP quoted string (aioimaplib sends arguments as they are)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquoted(name: bytes) -> str:
    text = name.decode(errors="replace").strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_folder(line: bytes) -> Folder | None:
    found = _LIST_REPLY.match(line.strip())
    if found is None:
        return None
    flags = frozenset(found.group(1).decode(errors="replace").split())
    return Folder(name=unquoted(found.group(2)), flags=flags)
