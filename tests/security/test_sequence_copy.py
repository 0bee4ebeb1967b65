"""Sequence copy is checked when it is saved: sizes, and templates that would fail every lead at send."""

from typing import Any

import httpx
import pytest

from tests.conftest import OverrideSettings, Tenant
from tests.factories import create_subsequence
from tests.subsequences.test_router import create_parent

CAMPAIGNS = "/api/v2/campaigns"
SUBSEQUENCES = "/api/v2/subsequences"
SCHEDULE = {
    "schedules": [
        {
            "name": "Office hours",
            "timing": {"from": "09:00", "to": "17:00"},
            "days": {"1": True},
            "timezone": "America/Chicago",
        }
    ]
}


def step(*variants: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "email",
        "delay": 1,
        "variants": [{"subject": subject, "body": body} for subject, body in variants],
    }


def sequences(*steps: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"steps": list(steps)}]


GOOD = step(
    ("Hi {{firstName | default: 'there'}}", "{% if companyName != blank %}At {{companyName}}{% endif %}")
)


def refused(response: httpx.Response, status: int, message_start: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status
    assert body["message"].startswith(message_start), body["message"]


class TestTemplatesOnSave:
    @pytest.mark.parametrize(
        "broken",
        ["{% if firstName %}no end", "{{ firstName", "{{ firstName | no_such_filter }}", "{% endif %}"],
    )
    async def test_campaign_create_names_the_variant(self, tenant: Tenant, broken: str) -> None:
        response = await tenant.client.post(
            CAMPAIGNS,
            json={
                "name": "Broken",
                "campaign_schedule": SCHEDULE,
                "sequences": sequences(GOOD, step(("ok", "fine"), ("ok", broken))),
            },
        )
        refused(response, 400, "body/sequences/0/steps/1/variants/1/body copy does not parse")

    async def test_campaign_patch_names_the_subject(self, tenant: Tenant) -> None:
        campaign_id = await create_parent(tenant)
        path = f"{CAMPAIGNS}/{campaign_id}"
        response = await tenant.client.patch(path, json={"sequences": sequences(step(("{{ oops", "b")))})
        refused(response, 400, "body/sequences/0/steps/0/variants/0/subject copy does not parse")
        assert (await tenant.client.get(path)).json()["sequences"] == []
        assert (await tenant.client.patch(path, json={"sequences": sequences(GOOD)})).status_code == 200

    async def test_subsequence_create_and_patch(self, tenant: Tenant) -> None:
        campaign_id = await create_parent(tenant)
        bad = sequences(GOOD, step(("s", "{% for x in y %}")))
        response = await tenant.client.post(
            SUBSEQUENCES,
            json={
                "parent_campaign": campaign_id,
                "name": "Follow-up",
                "conditions": {"crm_status": [1]},
                "sequences": bad,
            },
        )
        refused(response, 400, "body/sequences/0/steps/1/variants/0/body copy does not parse")
        subsequence = await create_subsequence(tenant, campaign_id, sequences=sequences(GOOD))
        response = await tenant.client.patch(f"{SUBSEQUENCES}/{subsequence['id']}", json={"sequences": bad})
        refused(response, 400, "body/sequences/0/steps/1/variants/0/body copy does not parse")


class TestCopySizes:
    async def test_variants_over_the_limit(self, tenant: Tenant, override_settings: OverrideSettings) -> None:
        override_settings(max_sequence_variants=3)
        campaign_id = await create_parent(tenant)
        path = f"{CAMPAIGNS}/{campaign_id}"
        four = sequences(step(("a", "a"), ("b", "b")), step(("c", "c"), ("d", "d")))
        refused(
            await tenant.client.patch(path, json={"sequences": four}),
            400,
            "body/sequences must NOT have more than 3 variants in all",
        )
        three = sequences(step(("a", "a"), ("b", "b")), step(("c", "c")))
        assert (await tenant.client.patch(path, json={"sequences": three})).status_code == 200

    async def test_body_over_the_limit(self, tenant: Tenant, override_settings: OverrideSettings) -> None:
        override_settings(max_copy_chars=1_000)
        campaign_id = await create_parent(tenant)
        response = await tenant.client.patch(
            f"{CAMPAIGNS}/{campaign_id}", json={"sequences": sequences(GOOD, step(("s", "x" * 1_001)))}
        )
        refused(
            response, 400, "body/sequences/0/steps/1/variants/0/body must NOT have more than 1000 characters"
        )

    async def test_all_copy_over_the_limit(self, tenant: Tenant, override_settings: OverrideSettings) -> None:
        override_settings(max_sequence_copy_chars=5_000)
        campaign_id = await create_parent(tenant)
        many = sequences(*(step(("s", "x" * 900)) for _ in range(6)))
        response = await tenant.client.patch(f"{CAMPAIGNS}/{campaign_id}", json={"sequences": many})
        refused(response, 413, "body/sequences must NOT have more than 5000 characters of copy")
