"""The inbound parser over the corpus of real-world shapes (tests/mail/corpus): each sample classified as
its row in corpus/expected.py says, and the figures issue 15 asks for over the whole corpus."""

import re
from functools import cache
from pathlib import Path

import pytest

from coldsend.mail.inbound import Inbound, InboundKind, parse
from tests.mail.corpus.expected import EXPECTED, Expected

CORPUS = Path(__file__).resolve().parent / "corpus"
MIN_SAMPLES = 160
MIN_RECOGNISED = 0.98
# The Message-ID our samples give the message they return (`<20 hex.8 hex@example.com>`, maybe in HTML).
RETURNED_ID = re.compile(
    rb"Message-ID: (?:<|&lt;)([0-9a-f]{20}\.[0-9a-f]{8}@example\.com)(?:>|&gt;)", re.IGNORECASE
)


@cache
def parsed(name: str) -> Inbound:
    return parse((CORPUS / name).read_bytes())


def observed(inbound: Inbound) -> Expected:
    """What the parser found, in the terms of the expectations table."""
    if inbound.bounce is not None:
        bounce = inbound.bounce
        return Expected(inbound.kind, bounce.severity, bounce.recipient, bounce.status)
    if inbound.complaint is not None:
        complaint = inbound.complaint
        return Expected(inbound.kind, recipient=complaint.recipient, feedback_type=complaint.feedback_type)
    return Expected(inbound.kind)


def test_every_sample_has_one_expectation() -> None:
    samples = {str(path.relative_to(CORPUS)) for path in CORPUS.rglob("*.eml")}
    assert samples == set(EXPECTED)
    assert len(samples) >= MIN_SAMPLES


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str) -> None:
    assert observed(parsed(name)) == EXPECTED[name]


REPORTS = (InboundKind.BOUNCE, InboundKind.COMPLAINT)


@pytest.mark.parametrize(
    "name", sorted(name for name, expected in EXPECTED.items() if expected.kind in REPORTS)
)
def test_a_report_points_at_the_message_it_returns_first(name: str) -> None:
    """The domain finds our send by `referenced`: for a bounce or a complaint, the returned message's own
    Message-ID comes first."""
    returned = RETURNED_ID.search((CORPUS / name).read_bytes())
    if returned is None:
        pytest.skip("the report does not return the message's id")
    assert parsed(name).referenced[:1] == [f"<{returned.group(1).decode()}>"]


def test_summary() -> None:
    """Issue 15's figures: final failures recognised with the recipient right, no false bounce, no report
    taken for a person's reply."""
    failures = [name for name, expected in EXPECTED.items() if expected.kind is InboundKind.BOUNCE]
    recognised = [
        name
        for name in failures
        if (bounce := parsed(name).bounce) is not None and bounce.recipient == EXPECTED[name].recipient
    ]
    false_bounces = [
        name
        for name, expected in EXPECTED.items()
        if expected.kind is not InboundKind.BOUNCE and parsed(name).kind is InboundKind.BOUNCE
    ]
    taken_for_replies = [
        name
        for name, expected in EXPECTED.items()
        if expected.kind in (InboundKind.BOUNCE, InboundKind.COMPLAINT)
        and parsed(name).kind is InboundKind.REPLY
    ]
    assert len(recognised) / len(failures) >= MIN_RECOGNISED, sorted(set(failures) - set(recognised))
    assert false_bounces == []
    assert taken_for_replies == []
