"""A campaign's or subsequence's steps as the engine reads them from the API's `sequences` JSON."""

import functools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from coldsend.models import Campaign, CampaignSubsequence

_UNITS = {"minutes": 60, "hours": 3600, "days": 86_400}


def _delta(value: Any, unit: Any) -> timedelta:
    try:
        amount = max(0.0, float(value or 0))
    except (TypeError, ValueError):
        amount = 0.0
    return timedelta(seconds=amount * _UNITS.get(str(unit or "days"), 86_400))


@dataclass(frozen=True)
class Variant:
    index: int
    subject: str
    body: str


@dataclass(frozen=True)
class Step:
    index: int
    delay: timedelta  # wait after this step before the next one
    pre_delay: timedelta  # subsequences: wait before this step
    subject_set: bool  # whether any variant sets its own subject (else a follow-up replies "Re: ...")
    variants: tuple[Variant, ...]  # enabled ones only

    def variant(self, index: int) -> Variant:
        for variant in self.variants:
            if variant.index == index:
                return variant
        return self.variants[0]


def steps_of(sequences: list[Any] | None) -> list[Step]:
    """The steps of the first sequence (Instantly uses only the first), with disabled variants left out."""
    if not sequences or not isinstance(sequences[0], dict):
        return []
    steps = []
    for index, raw in enumerate(sequences[0].get("steps") or []):
        variants = tuple(
            Variant(number, str(variant.get("subject") or ""), str(variant.get("body") or ""))
            for number, variant in enumerate(raw.get("variants") or [])
            if not variant.get("v_disabled")
        )
        steps.append(
            Step(
                index=index,
                delay=_delta(raw.get("delay"), raw.get("delay_unit")),
                pre_delay=_delta(raw.get("pre_delay"), raw.get("pre_delay_unit")),
                subject_set=any(variant.subject.strip() for variant in variants),
                variants=variants,
            )
        )
    return steps


def step_id(sequence_id: uuid.UUID, step: int) -> uuid.UUID:
    """A stable id for a step (the API's stepID / last_step_id): steps have no id of their own here."""
    return uuid.uuid5(sequence_id, f"step-{step}")


@dataclass(frozen=True)
class Sequence:
    """What the engine sends: a campaign's main sequence, or one of its subsequences."""

    campaign: Campaign
    subsequence: CampaignSubsequence | None

    @property
    def id(self) -> uuid.UUID:
        return self.subsequence.id if self.subsequence is not None else self.campaign.id

    @property
    def source(self) -> str:
        return "subsequence" if self.subsequence is not None else "campaign"

    @functools.cached_property
    def steps(self) -> list[Step]:
        owner = self.subsequence if self.subsequence is not None else self.campaign
        return steps_of(owner.sequences)

    @property
    def schedule(self) -> dict[str, Any]:
        if self.subsequence is not None and self.subsequence.subsequence_schedule:
            return self.subsequence.subsequence_schedule
        return self.campaign.campaign_schedule
