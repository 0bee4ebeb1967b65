"""The served OpenAPI document tells what an unset account or campaign field does, and what each
provider_code means."""

from typing import Any

import httpx


def properties(document: dict[str, Any], schema: str) -> dict[str, Any]:
    return dict(document["components"]["schemas"][schema]["properties"])


def described(field: dict[str, Any]) -> str:
    return str(field.get("description", ""))


async def test_defaults_and_units_are_documented(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    account = properties(document, "AccountCreate")
    assert "Default (not given on create): 10 minutes" in described(account["sending_gap"])
    assert "COLDSEND_ACCOUNT_DEFAULT_DAILY_LIMIT, 50" in described(account["daily_limit"])
    assert "5 emails on the first day" in described(account["enable_slow_ramp"])
    codes = described(account["provider_code"])
    meanings = ("1 Custom IMAP/SMTP", "2 Google", "3 Microsoft", "4 AWS", "8 AirMail", "11 Airmail Instant")
    assert all(meaning in codes for meaning in meanings), codes

    campaign = properties(document, "CampaignCreate")
    assert "Default (unset): true" in described(campaign["stop_on_reply"])
    assert "Default (unset or 0): no campaign limit" in described(campaign["daily_limit"])
    assert "Minutes between" in described(campaign["email_gap"])
    assert "Default (unset): 0" in described(campaign["random_wait_max"])
    assert "no default window" in described(campaign["campaign_schedule"])
    assert "sending gap" in described(properties(document, "Campaign")["not_sending_status"])
