"""Reply classification behind one seam: `ReplyClassifier.classify(text, labels)`.

Which classifier runs is decided by settings (`classifier_for`):

* `KeywordClassifier` (the default): offline and deterministic. It matches phrases from `BUILT_IN_RULES`,
  from each custom label's name and description, and from `COLDSEND_REPLY_RULES_FILE`.
* `OpenAICompatibleClassifier`: used only when `COLDSEND_REPLY_CLASSIFIER_URL` and
  `COLDSEND_REPLY_CLASSIFIER_MODEL` are both set. It calls `POST {url}/chat/completions`.

The rules file is JSON. It adds phrases to built-in statuses (keyed by lower-case name) and to custom labels
(keyed by label text):

    {"statuses": {"interested": ["send the deck"], "wrong_person": ["talk to our cto"]},
     "labels": {"Hot Lead": ["budget approved", "ready to buy"]}}
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from coldsend.config import Settings
from coldsend.models import InterestStatus

KEYWORD = "keyword"
OPENAI_COMPATIBLE = "openai-compatible"


@dataclass(frozen=True, slots=True)
class Label:
    """A status a reply can get: a built-in interest status or a workspace's custom label."""

    name: str
    interest_status: int
    sentiment: str
    description: str | None = None
    custom: bool = False


class ClassificationError(Exception):
    """The classifier could not give an answer (provider down, unreadable answer, bad rules file)."""


class ReplyClassifier(Protocol):
    name: str

    async def classify(self, text: str, labels: Sequence[Label]) -> Label | None:
        """The label that fits `text` best, or None when none does."""
        ...


BUILT_IN_NAMES: dict[InterestStatus, str] = {
    InterestStatus.OUT_OF_OFFICE: "Out of Office",
    InterestStatus.INTERESTED: "Interested",
    InterestStatus.MEETING_BOOKED: "Meeting Booked",
    InterestStatus.MEETING_COMPLETED: "Meeting Completed",
    InterestStatus.WON: "Won",
    InterestStatus.NOT_INTERESTED: "Not Interested",
    InterestStatus.WRONG_PERSON: "Wrong Person",
    InterestStatus.LOST: "Lost",
    InterestStatus.NO_SHOW: "No Show",
}

# Phrases that point to a built-in status. A longer phrase wins over a shorter one inside it,
# so "not interested" counts for NOT_INTERESTED and not for INTERESTED.
BUILT_IN_RULES: dict[InterestStatus, tuple[str, ...]] = {
    InterestStatus.OUT_OF_OFFICE: (
        "out of office", "out of the office", "ooo", "on vacation", "on holiday", "on leave",
        "parental leave", "maternity leave", "away from the office", "limited access to email",
        "automatic reply", "auto reply", "autoreply", "until i return", "when i return",
    ),
    InterestStatus.INTERESTED: (
        "interested", "sounds good", "sounds great", "tell me more", "learn more", "more information",
        "more info", "send me more", "pricing", "how much", "keen", "happy to chat", "would love to",
    ),
    InterestStatus.MEETING_BOOKED: (
        "meeting", "call", "calendar", "calendly", "schedule", "book a time", "booked", "zoom", "demo",
        "invite", "let's meet", "lets meet", "set up a time", "jump on a call", "hop on a call",
    ),
    InterestStatus.NOT_INTERESTED: (
        "not interested", "no thanks", "no thank you", "not a fit", "not a good fit", "unsubscribe",
        "remove me", "stop emailing", "stop contacting", "take me off", "do not contact",
        "don't contact", "not now", "no need", "all set", "not looking", "no budget",
    ),
    InterestStatus.WRONG_PERSON: (
        "wrong person", "not the right person", "not the person", "no longer with", "no longer works",
        "left the company", "not responsible for", "not in charge", "contact my colleague",
        "reach out to my colleague",
    ),
}  # fmt: skip

_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have in is it its of on or our that the their them this "
    "to was we were when where which who will with you your used using use label leads lead reply "
    "replies mark marking these those".split()
)
_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'")
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower().replace("\u2019", "'")))


def built_in_labels() -> list[Label]:
    return [
        Label(name=name, interest_status=status, sentiment=_built_in_sentiment(status))
        for status, name in BUILT_IN_NAMES.items()
    ]


def _built_in_sentiment(status: InterestStatus) -> str:
    if status == InterestStatus.OUT_OF_OFFICE:
        return "neutral"
    return "positive" if status > 0 else "negative"


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statuses: dict[str, list[str]] = {}
    labels: dict[str, list[str]] = {}


@lru_cache(maxsize=8)
def _load_rules(path: Path, _mtime_ns: int) -> RulesFile:
    try:
        rules = RulesFile.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ClassificationError(f"reply rules file {path} is not valid: {exc}") from exc
    names = {status.name.lower() for status in InterestStatus}
    unknown = sorted(set(rules.statuses) - names)
    if unknown:
        raise ClassificationError(
            f"reply rules file {path}: unknown statuses {unknown}; use one of {sorted(names)}"
        )
    return rules


def load_rules(path: Path | None) -> RulesFile:
    """The rules file as it is now (re-read when it changes on disk)."""
    if path is None:
        return RulesFile()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ClassificationError(f"reply rules file {path} cannot be read: {exc}") from exc
    return _load_rules(path, mtime)


def label_phrases(label: Label) -> list[str]:
    """A custom label's phrases: its name, quoted phrases of its description, else the description's words."""
    phrases = [label.name]
    description = label.description or ""
    quoted = [a or b for a, b in _QUOTED.findall(description)]
    if quoted:
        return phrases + quoted
    return phrases + [w for w in words(description) if len(w) >= 4 and w not in _STOPWORDS]


class KeywordClassifier:
    """Scores each label by the words of its phrases found in the reply; the best score wins.

    Overlapping matches keep only the longest phrase. Ties go to custom labels, then to the order given.
    """

    name = KEYWORD

    def __init__(self, rules_file: Path | None = None) -> None:
        self.rules_file = rules_file

    def phrases(self, label: Label) -> list[str]:
        rules = load_rules(self.rules_file)
        if label.custom:
            return label_phrases(label) + rules.labels.get(label.name, [])
        status = InterestStatus(label.interest_status)
        return [*BUILT_IN_RULES.get(status, ()), *rules.statuses.get(status.name.lower(), [])]

    async def classify(self, text: str, labels: Sequence[Label]) -> Label | None:
        tokens = words(text)
        matches: list[tuple[int, int, int]] = []  # (start, end, label index)
        for index, label in enumerate(labels):
            for phrase in self.phrases(label):
                needle = words(phrase)
                size = len(needle)
                if not size:
                    continue
                matches.extend(
                    (start, start + size, index)
                    for start in range(len(tokens) - size + 1)
                    if tokens[start : start + size] == needle
                )
        kept: list[tuple[int, int]] = []
        scores: dict[int, int] = {}
        for start, end, index in sorted(matches, key=lambda m: (m[0] - m[1], m[0], m[2])):
            if any(
                start < k_end and k_start < end and (start, end) != (k_start, k_end)
                for k_start, k_end in kept
            ):
                continue
            kept.append((start, end))
            scores[index] = scores.get(index, 0) + end - start
        if not scores:
            return None
        best = max(scores, key=lambda i: (scores[i], labels[i].custom, -i))
        return labels[best]


SYSTEM_PROMPT = (
    "You label replies to cold emails. Answer with exactly one label name from the list below, "
    "copied verbatim, or with None if no label fits. Answer with the name only.\n\nLabels:\n"
)


class OpenAICompatibleClassifier:
    """Asks a chat-completions model (OpenAI, or any server that speaks its API) to pick a label."""

    name = OPENAI_COMPATIBLE

    def __init__(
        self, *, base_url: str, model: str, api_key: str | None = None, timeout: float = 30.0
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout

    def request_body(self, text: str, labels: Sequence[Label]) -> dict[str, object]:
        listing = "\n".join(
            f"- {label.name} ({label.sentiment})" + (f": {label.description}" if label.description else "")
            for label in labels
        )
        return {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT + listing},
                {"role": "user", "content": text},
            ],
        }

    async def classify(self, text: str, labels: Sequence[Label]) -> Label | None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, json=self.request_body(text, labels), headers=headers)
            response.raise_for_status()
            answer = str(response.json()["choices"][0]["message"]["content"])
        except (httpx.HTTPError, json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
            raise ClassificationError(f"reply classifier at {self.url} failed: {exc!r}") from exc
        chosen = answer.strip().strip("\"'`.").strip()
        if chosen.lower() in ("none", "lead", ""):
            return None
        for label in labels:
            if label.name.casefold() == chosen.casefold():
                return label
        raise ClassificationError(f"reply classifier answered {answer[:100]!r}, which is not a label")


def classifier_for(settings: Settings) -> ReplyClassifier:
    if settings.reply_classifier_url and settings.reply_classifier_model:
        key = settings.reply_classifier_api_key
        return OpenAICompatibleClassifier(
            base_url=settings.reply_classifier_url,
            model=settings.reply_classifier_model,
            api_key=key.get_secret_value() if key else None,
            timeout=settings.reply_classifier_timeout_seconds,
        )
    return KeywordClassifier(settings.reply_rules_file)
