"""The two validating address functions: where they agree, and the differences `parse_address` documents."""

import pytest

from coldsend.addresses import InvalidAddress, email_key, email_keys, normalize_email, parse_address


@pytest.mark.parametrize(
    "value", ["Anna@Bücher.example", " A+b@Example.COM ", "Zoë@münchen.de", "user@例え.jp"]
)
def test_same_form_where_both_accept(value: str) -> None:
    assert parse_address(value).email == normalize_email(value)


@pytest.mark.parametrize("value", ["ann@lead.test", "ann@example.com.", "é" * 40 + "@example.com"])
def test_only_the_api_accepts(value: str) -> None:
    normalize_email(value)
    with pytest.raises(InvalidAddress):
        parse_address(value)


def test_idna_versions_differ() -> None:
    assert normalize_email("a@straße.de") == "a@strasse.de"
    assert parse_address("a@straße.de").email == "a@xn--strae-oqa.de"


@pytest.mark.parametrize(
    "batch",
    [
        ["Ann@Example.COM", "bob@b.org", "x@y@Z.net"],
        ["Ann@Example.COM", " bob@b.org "],
        ["ann@example.com.", "bob@b.org"],
        ["ann@example.com", "not-an-address", ""],
        ["ann@example.com", "two\nlines@b.org"],
        ["ann@example.com", "k@Bücher.example", "\u212a@kelvin.example"],
        ["tab\tinside@b.org", "ann@example.com"],
        [],
    ],
)
def test_email_keys_of_a_batch_as_email_key_of_each(batch: list[str]) -> None:
    emails, domains = email_keys(batch)
    assert list(zip(emails, domains, strict=True)) == [email_key(address) for address in batch]
