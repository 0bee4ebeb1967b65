import json
from pathlib import Path

import pytest

from coldsend.lead_labels.classifier import (
    ClassificationError,
    KeywordClassifier,
    Label,
    OpenAICompatibleClassifier,
    built_in_labels,
)
from tests.lead_labels.llm_server import fake_llm

HOT = Label(
    name="Hot Lead",
    interest_status=5,
    sentiment="positive",
    description='Says "budget approved"',
    custom=True,
)


async def predicted(text: str, labels: list[Label] | None = None, rules: Path | None = None) -> str | None:
    chosen = await KeywordClassifier(rules).classify(text, [*(labels or []), *built_in_labels()])
    return chosen.name if chosen else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am out of the office until Monday, for urgent matters call Jane.", "Out of Office"),
        ("Thanks, I'm interested. Tell me more!", "Interested"),
        ("Not interested, thanks.", "Not Interested"),
        ("Please unsubscribe me.", "Not Interested"),
        ("Sure, send me a calendar invite for a call on Tuesday.", "Meeting Booked"),
        ("I'm not the right person for this, I left the company.", "Wrong Person"),
        ("Who is this?", None),
    ],
)
async def test_built_in_rules(text: str, expected: str | None) -> None:
    assert await predicted(text) == expected


async def test_custom_label_from_name_and_quoted_description() -> None:
    assert await predicted("Good news: budget approved for Q3.", [HOT]) == "Hot Lead"
    assert await predicted("You are a hot lead? Interested.", [HOT]) == "Hot Lead"


async def test_rules_file_extends_statuses_and_labels(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"statuses": {"won": ["contract signed"]}, "labels": {"Hot Lead": ["wire the money"]}})
    )
    assert await predicted("Contract signed, welcome aboard", rules=rules) == "Won"
    assert await predicted("We will wire the money", [HOT], rules=rules) == "Hot Lead"


async def test_bad_rules_file_is_an_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"statuses": {"hot": ["x"]}}))
    with pytest.raises(ClassificationError, match="unknown statuses"):
        await predicted("x", rules=rules)


async def test_openai_compatible_picks_named_label() -> None:
    with fake_llm() as llm:
        llm.answer = "hot lead."
        classifier = OpenAICompatibleClassifier(base_url=llm.url, model="tiny", api_key="sk-test")
        chosen = await classifier.classify("Budget approved", [HOT, *built_in_labels()])
    assert chosen == HOT
    [request] = llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["model"] == "tiny"
    assert '- Hot Lead (positive): Says "budget approved"' in request["messages"][0]["content"]
    assert request["messages"][1] == {"role": "user", "content": "Budget approved"}
    assert llm.headers[0]["Authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(("answer", "status"), [("Maybe Later", 200), ("Interested", 503)])
async def test_openai_compatible_failures(answer: str, status: int) -> None:
    with fake_llm() as llm:
        llm.answer, llm.status = answer, status
        classifier = OpenAICompatibleClassifier(base_url=llm.url, model="tiny")
        with pytest.raises(ClassificationError):
            await classifier.classify("hello", built_in_labels())
