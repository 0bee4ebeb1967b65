"""A message's SpamAssassin score and rule report, from a spamd (`aiospamc`'s REPORT command). When spamd
cannot be reached or answers with an error, the report says it was not run: no score is ever made up."""

import re
from dataclasses import dataclass, field
from typing import Any

import aiospamc
from aiospamc.header_values import SpamValue

from coldsend.config import Settings

# "Content analysis details" lines: points, rule name, description (continued on indented lines).
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")
_CONTINUED = re.compile(r"^\s{20,}(\S.*)$")


@dataclass
class Verdict:
    ran: bool
    score: float | None = None
    is_spam: bool | None = None
    rules: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    def report(self) -> dict[str, Any]:
        if not self.ran:
            return {"ran": False, "error": self.error}
        return {
            "ran": True,
            "is_spam": self.is_spam,
            "spam_score": round(self.score or 0.0),
            "report": self.rules,
        }


def rules_of(report: str) -> list[dict[str, str]]:
    """The rules a REPORT body lists, each with its name, description and score (as text, as the spec
    shows it)."""
    rules: list[dict[str, str]] = []
    in_table = False
    for line in report.splitlines():
        if line.startswith("---- "):
            in_table = True
            continue
        if not in_table:
            continue
        found = _RULE.match(line)
        if found:
            rules.append(
                {"name": found.group(2), "description": found.group(3).strip(), "score": found.group(1)}
            )
        elif rules and (more := _CONTINUED.match(line)):
            rules[-1]["description"] += " " + more.group(1).strip()
    return rules


async def score(message: bytes, settings: Settings) -> Verdict:
    try:
        response = await aiospamc.report(
            message,
            host=settings.placement_spamd_host,
            port=settings.placement_spamd_port,
            timeout=aiospamc.Timeout(total=settings.placement_spamd_timeout_seconds),
        )
    except Exception as error:  # aiospamc raises its own kinds and OSError subclasses alike
        where = f"{settings.placement_spamd_host}:{settings.placement_spamd_port}"
        return Verdict(ran=False, error=f"spamd at {where} not run: {type(error).__name__}: {error}"[:500])
    spam = response.headers.get("Spam")
    if not isinstance(spam, SpamValue):
        return Verdict(ran=False, error="spamd answered without a Spam header")
    return Verdict(
        ran=True,
        score=float(spam.score),
        is_spam=bool(spam.value),
        rules=rules_of(response.body.decode(errors="replace")),
    )
