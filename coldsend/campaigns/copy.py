"""Checks of the copy in a campaign's or subsequence's sequences when they are saved: sizes first, then
that every subject and body parses as a template (else every lead would fail at send time)."""

import asyncio
from collections.abc import Iterator

from coldsend.campaigns.schemas import Sequence
from coldsend.config import Settings
from coldsend.errors import BadRequest, PayloadTooLarge
from coldsend.mail.render import TemplateError, validate_template


def _copy(sequences: list[Sequence]) -> Iterator[tuple[str, str]]:
    """(request path, text) of every subject and body."""
    for s, sequence in enumerate(sequences):
        for t, step in enumerate(sequence.steps):
            for v, variant in enumerate(step.variants):
                where = f"body/sequences/{s}/steps/{t}/variants/{v}"
                yield f"{where}/subject", variant.subject
                yield f"{where}/body", variant.body


def _check_sizes(sequences: list[Sequence], settings: Settings) -> None:
    variants = sum(len(step.variants) for sequence in sequences for step in sequence.steps)
    if variants > settings.max_sequence_variants:
        raise BadRequest(
            f"body/sequences must NOT have more than {settings.max_sequence_variants} variants in all"
        )
    total = 0
    for where, text in _copy(sequences):
        if len(text) > settings.max_copy_chars:
            raise BadRequest(f"{where} must NOT have more than {settings.max_copy_chars} characters")
        total += len(text)
    if total > settings.max_sequence_copy_chars:
        raise PayloadTooLarge(
            f"body/sequences must NOT have more than {settings.max_sequence_copy_chars} characters of copy"
        )


def _check_templates(sequences: list[Sequence]) -> None:
    for where, text in _copy(sequences):
        try:
            validate_template(text)
        except TemplateError as error:
            raise BadRequest(f"{where} {error}") from None


async def check_sequences(sequences: list[Sequence] | None, settings: Settings) -> None:
    """BadRequest (or PayloadTooLarge) naming the first variant whose copy is too big or does not parse."""
    if not sequences:
        return
    _check_sizes(sequences, settings)
    # Parsing takes ~3 s a megabyte of copy: off the event loop.
    await asyncio.to_thread(_check_templates, sequences)
