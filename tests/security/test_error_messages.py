"""400 messages that tell the caller everything needed to fix the request in one round trip."""

import re
from typing import Any

import httpx

from tests.conftest import Tenant


def _schedule(timezone: str) -> dict[str, Any]:
    window = {"name": "Weekdays", "timing": {"from": "09:00", "to": "17:00"}, "days": {"1": True}}
    return {"schedules": [{**window, "timezone": timezone}]}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref, the item schema of arrays and the non-null branch of `X | None`."""
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            schema = next(branch for branch in schema["anyOf"] if branch.get("type") != "null")
        elif schema.get("type") == "array":
            schema = schema["items"]
        else:
            return schema


def _field_schema(document: dict[str, Any], schema_name: str, *path: str) -> dict[str, Any]:
    schema = document["components"]["schemas"][schema_name]
    for name in path:
        schema = _resolve(document, _resolve(document, schema)["properties"][name])
    return _resolve(document, schema)


class TestMissingProperties:
    async def test_every_missing_required_property_is_named(self, tenant: Tenant) -> None:
        document = (await tenant.client.get("/openapi.json")).json()
        required = document["components"]["schemas"]["AccountCreate"]["required"]
        assert len(required) == 12
        response = await tenant.client.post("/api/v2/accounts", json={})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": ", ".join(f"body must have required property '{name}'" for name in required),
        }

    async def test_missing_properties_follow_another_first_error(self, tenant: Tenant) -> None:
        response = await tenant.client.post("/api/v2/accounts", json={"first_name": 5})
        assert response.status_code == 400
        message = response.json()["message"]
        assert message.startswith(
            "body/first_name must be string, body must have required property 'last_name', "
        )
        assert message.endswith("body must have required property 'smtp_port'")


class TestEnumValues:
    async def test_a_short_enum_lists_its_values(self, tenant: Tenant) -> None:
        response = await tenant.client.get("/api/v2/emails", params={"mode": "focused"})
        assert response.status_code == 400
        assert response.json()["message"] == (
            "querystring/mode must be equal to one of the allowed values "
            "(allowed: 'emode_focused', 'emode_others', 'emode_all')"
        )

    async def test_a_timezone_gets_examples_and_where_the_list_is(
        self, tenant: Tenant, anonymous: httpx.AsyncClient
    ) -> None:
        response = await tenant.client.post(
            "/api/v2/campaigns", json={"name": "c", "campaign_schedule": _schedule("UTC")}
        )
        assert response.status_code == 400
        message = response.json()["message"]
        prefix = "body/campaign_schedule/schedules/0/timezone must be equal to one of the allowed values ("
        assert message.startswith(prefix)
        assert message.endswith("; the full list is this field's enum in /openapi.json)")
        document = (await anonymous.get("/openapi.json")).json()
        enum = _field_schema(document, "CampaignCreate", "campaign_schedule", "schedules", "timezone")["enum"]
        examples = ", ".join(f"'{name}'" for name in enum[:5])
        where = "the full list is this field's enum in /openapi.json"
        assert message == f"{prefix}{len(enum)} allowed, e.g. {examples}; {where})"
        assert len(enum) == 102

    async def test_a_near_miss_gets_the_closest_values(self, tenant: Tenant) -> None:
        response = await tenant.client.post(
            "/api/v2/campaigns", json={"name": "c", "campaign_schedule": _schedule("America/Chicgo")}
        )
        assert response.status_code == 400
        assert "(102 allowed, closest 'America/Chicago'" in response.json()["message"]


class TestManyMissingProperties:
    async def test_a_long_list_is_cut_after_twenty(self, tenant: Tenant) -> None:
        body = {
            "name": "c",
            "campaign_schedule": _schedule("Etc/GMT+12"),
            "sequences": [{"steps": [{}] * 30}],
        }
        response = await tenant.client.post("/api/v2/campaigns", json=body)
        assert response.status_code == 400
        message = response.json()["message"]
        named = message.split(", ")
        assert named[0] == "body/sequences/0/steps/0 must have required property 'type'"
        assert len(named) == 22
        assert all(" must have required property '" in one for one in named[:21])
        assert re.fullmatch(r"and \d+ more missing properties", named[21]), named[21]
