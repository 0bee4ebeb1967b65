"""COLDSEND_DNS_NAMESERVERS in both forms an operator may write it."""

import pytest

from coldsend.config import Settings


@pytest.mark.parametrize(
    ("value", "nameservers"),
    [
        ("127.0.0.1:5353,10.0.0.53", ["127.0.0.1:5353", "10.0.0.53"]),
        (" 127.0.0.1:5353 , [::1]:53 ", ["127.0.0.1:5353", "[::1]:53"]),
        ('["127.0.0.1:5353", "10.0.0.53"]', ["127.0.0.1:5353", "10.0.0.53"]),
        ("", []),
        ("[]", []),
    ],
)
def test_nameservers_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, nameservers: list[str]
) -> None:
    monkeypatch.setenv("COLDSEND_DNS_NAMESERVERS", value)
    assert Settings().dns_nameservers == nameservers


def test_bad_nameserver_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLDSEND_DNS_NAMESERVERS", "127.0.0.1:5353,not-an-ip")
    with pytest.raises(ValueError, match="not-an-ip"):
        Settings()


def test_verification_defaults() -> None:
    settings = Settings()
    assert settings.verify_smtp_port == 25
    assert settings.verify_sync_window_seconds == 10
    assert settings.webhook_allow_private is False
    assert settings.verify_credits is None
