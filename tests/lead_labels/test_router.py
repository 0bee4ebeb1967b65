import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from coldsend.db.session import session_scope
from coldsend.models import Workspace
from tests.conftest import MakeKey, MakeTenant, OverrideSettings, Tenant, client_for
from tests.lead_labels.llm_server import fake_llm
from tests.pages import collect_pages

PATH = "/api/v2/lead-labels"
REPLY = f"{PATH}/ai-reply-label"
VALID = {"label": "x", "interest_status_label": "neutral"}
NOT_ALLOWED = "must be equal to one of the allowed values"
FIELDS = {
    "id",
    "timestamp_created",
    "created_by",
    "organization_id",
    "label",
    "interest_status_label",
    "interest_status",
    "description",
    "use_with_ai",
}


async def create(
    client: httpx.AsyncClient, label: str = "Hot Lead", sentiment: str = "positive", **extra: Any
) -> Any:
    response = await client.post(PATH, json={"label": label, "interest_status_label": sentiment, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def assert_400(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}


def assert_404(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}


class TestCreateLeadLabel:
    async def test_shape_and_owner(self, app: FastAPI, tenant: Tenant) -> None:
        body = await create(tenant.client, description="Ready to buy", use_with_ai=True)
        assert set(body) == FIELDS
        assert uuid.UUID(body["id"]).version == 7
        assert body["organization_id"] == str(tenant.workspace_id)
        assert body["timestamp_created"].endswith("Z")
        assert (body["label"], body["interest_status_label"], body["interest_status"]) == (
            "Hot Lead",
            "positive",
            5,
        )
        assert (body["description"], body["use_with_ai"]) == ("Ready to buy", True)
        async with session_scope(app.state.sessionmaker) as session:
            workspace = await session.get(Workspace, tenant.workspace_id)
        assert workspace is not None
        assert body["created_by"] == str(workspace.owner_id)

    async def test_optional_fields_default_to_null(self, tenant: Tenant) -> None:
        body = await create(tenant.client)
        assert (body["description"], body["use_with_ai"]) == (None, None)

    async def test_interest_status_bands(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        values = [
            (await create(tenant.client, f"L{i}", sentiment))["interest_status"]
            for i, sentiment in enumerate(
                ["positive", "positive", "negative", "neutral", "negative", "neutral"]
            )
        ]
        assert values == [5, 6, -5, 20000, -6, 20001]
        other = await make_tenant()
        assert (await create(other.client))["interest_status"] == 5

    async def test_duplicate_labels_allowed(self, tenant: Tenant) -> None:
        first, second = await create(tenant.client), await create(tenant.client)
        assert first["id"] != second["id"]
        assert first["interest_status"] != second["interest_status"]

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"interest_status_label": "positive"}, "body must have required property 'label'"),
            ({"label": "x"}, "body must have required property 'interest_status_label'"),
            (
                {**VALID, "interest_status_label": "happy"},
                f"body/interest_status_label {NOT_ALLOWED} (allowed: 'positive', 'negative', 'neutral')",
            ),
            ({**VALID, "label": "   "}, "body/label must NOT have fewer than 1 characters"),
            ({**VALID, "use_with_ai": "yes"}, "body/use_with_ai must be boolean"),
            ({**VALID, "interest_status": 7}, "body must NOT have additional properties"),
        ],
    )
    async def test_invalid_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        assert_400(await tenant.client.post(PATH, json=payload), message)
        assert (await tenant.client.get(PATH)).json()["items"] == []

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["lead-labels:read", "lead-labels:update"])
        async with client_for(app, key) as client:
            response = await client.post(PATH, json={"label": "x", "interest_status_label": "positive"})
        assert response.status_code == 403
        assert response.json()["error"] == "Forbidden"


class TestListLeadLabel:
    async def test_pages_each_label_once(self, tenant: Tenant) -> None:
        created = [(await create(tenant.client, f"Label {i}"))["id"] for i in range(7)]
        items, pages = await collect_pages(tenant.client, PATH, limit=3)
        assert [item["id"] for item in items] == created
        assert pages == 3
        assert set(items[0]) == FIELDS

    async def test_search_and_interest_status_filters(self, tenant: Tenant) -> None:
        await create(tenant.client, "Hot Lead", "positive")
        await create(tenant.client, "Cold lead", "negative")
        await create(tenant.client, "Maybe later", "neutral")
        found = (await tenant.client.get(PATH, params={"search": "LEAD"})).json()["items"]
        assert [item["label"] for item in found] == ["Hot Lead", "Cold lead"]
        found = (
            await tenant.client.get(PATH, params={"search": "lead", "interest_status": "negative"})
        ).json()
        assert [item["label"] for item in found["items"]] == ["Cold lead"]
        assert (await tenant.client.get(PATH, params={"search": "%"})).json()["items"] == []

    async def test_timestamp_cursor(self, tenant: Tenant) -> None:
        first = await create(tenant.client, "First")
        second = await create(tenant.client, "Second")
        items = (await tenant.client.get(PATH, params={"starting_after": first["timestamp_created"]})).json()[
            "items"
        ]
        assert [item["id"] for item in items] == [second["id"]]

    async def test_bad_filters_are_400(self, tenant: Tenant) -> None:
        assert_400(
            await tenant.client.get(PATH, params={"interest_status": "1"}),
            "querystring/interest_status must be equal to one of the allowed values (allowed: 'positive', "
            "'negative', 'neutral')",
        )
        assert_400(
            await tenant.client.get(PATH, params={"starting_after": "yesterday"}),
            'querystring/starting_after must match format "uuid"',
        )

    async def test_only_own_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await create(tenant.client)
        other = await make_tenant()
        assert (await other.client.get(PATH)).json() == {"items": []}

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["lead-labels:create", "leads:read"])
        async with client_for(app, key) as client:
            assert (await client.get(PATH)).status_code == 403


class TestGetLeadLabel:
    async def test_returns_label(self, tenant: Tenant) -> None:
        created = await create(tenant.client)
        response = await tenant.client.get(f"{PATH}/{created['id']}")
        assert response.status_code == 200
        assert response.json() == created

    async def test_other_workspace_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        created = await create(other.client)
        assert_404(await tenant.client.get(f"{PATH}/{created['id']}"))
        assert_404(await tenant.client.get(f"{PATH}/{uuid.uuid4()}"))

    async def test_bad_id_is_400(self, tenant: Tenant) -> None:
        assert_400(await tenant.client.get(f"{PATH}/nope"), 'params/id must match format "uuid"')


class TestPatchLeadLabel:
    async def test_updates_given_fields_only(self, tenant: Tenant) -> None:
        created = await create(tenant.client, description="old", use_with_ai=True)
        response = await tenant.client.patch(
            f"{PATH}/{created['id']}",
            json={"label": "Warm", "interest_status_label": "neutral", "description": None},
        )
        assert response.status_code == 200
        body = response.json()
        assert body == {
            **created,
            "label": "Warm",
            "interest_status_label": "neutral",
            "description": None,
        }
        assert (await tenant.client.get(f"{PATH}/{created['id']}")).json() == body

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"label": None}, "body/label must be string"),
            ({"interest_status_label": None}, "body/interest_status_label must be string"),
            ({"interest_status": 9}, "body must NOT have additional properties"),
            ({"use_with_ai": 1}, "body/use_with_ai must be boolean"),
        ],
    )
    async def test_invalid_is_400(self, tenant: Tenant, payload: dict[str, Any], message: str) -> None:
        created = await create(tenant.client)
        assert_400(await tenant.client.patch(f"{PATH}/{created['id']}", json=payload), message)
        assert (await tenant.client.get(f"{PATH}/{created['id']}")).json() == created

    async def test_other_workspace_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        created = await create(other.client)
        assert_404(await tenant.client.patch(f"{PATH}/{created['id']}", json={"label": "mine"}))
        assert (await other.client.get(f"{PATH}/{created['id']}")).json()["label"] == "Hot Lead"

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        created = await create(tenant.client)
        key = await make_key(tenant.workspace_id, ["lead-labels:read", "all:create"])
        async with client_for(app, key) as client:
            assert (await client.patch(f"{PATH}/{created['id']}", json={"label": "x"})).status_code == 403


class TestDeleteLeadLabel:
    @pytest.mark.parametrize("content", [None, "", "null", "{}"])
    async def test_returns_deleted_label(self, tenant: Tenant, content: str | None) -> None:
        created = await create(tenant.client)
        headers = {"content-type": "application/json"} if content is not None else {}
        response = await tenant.client.request(
            "DELETE", f"{PATH}/{created['id']}", content=content, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json() == created
        assert_404(await tenant.client.get(f"{PATH}/{created['id']}"))

    async def test_reassign_to_built_in_or_other_label(self, tenant: Tenant) -> None:
        first, second, third = [await create(tenant.client, f"L{i}") for i in range(3)]
        for label, status in [(first, -1), (second, third["interest_status"])]:
            response = await tenant.client.request(
                "DELETE", f"{PATH}/{label['id']}", json={"reassigned_status": status}
            )
            assert response.status_code == 200, response.text

    async def test_reassign_to_unknown_status_is_400(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        created = await create(tenant.client)
        elsewhere = await create((await make_tenant()).client, "Other", "positive")
        message = (
            "body/reassigned_status must be a built-in interest status or the interest_status "
            "of another lead label of this workspace"
        )
        for status in (created["interest_status"], 999, elsewhere["interest_status"] + 1):
            response = await tenant.client.request(
                "DELETE", f"{PATH}/{created['id']}", json={"reassigned_status": status}
            )
            assert_400(response, message)
        for body, text in [
            ({"reassigned_status": "one"}, "body/reassigned_status must be integer"),
            ({"reassigned_status": 30001}, "body/reassigned_status must be <= 30000"),
        ]:
            assert_400(await tenant.client.request("DELETE", f"{PATH}/{created['id']}", json=body), text)
        assert (await tenant.client.get(f"{PATH}/{created['id']}")).status_code == 200

    async def test_other_workspace_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        created = await create(other.client)
        assert_404(await tenant.client.delete(f"{PATH}/{created['id']}"))
        assert (await other.client.get(f"{PATH}/{created['id']}")).status_code == 200

    async def test_value_is_reused_only_at_the_band_end(self, tenant: Tenant) -> None:
        first, second = await create(tenant.client, "A"), await create(tenant.client, "B")
        await tenant.client.delete(f"{PATH}/{first['id']}")
        assert (await create(tenant.client, "C"))["interest_status"] == second["interest_status"] + 1

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        created = await create(tenant.client)
        key = await make_key(tenant.workspace_id, ["lead-labels:read", "lead-labels:update"])
        async with client_for(app, key) as client:
            assert (await client.delete(f"{PATH}/{created['id']}")).status_code == 403
        assert (await tenant.client.get(f"{PATH}/{created['id']}")).status_code == 200


class TestAiReplyLabel:
    async def test_built_in_prediction_with_keyword_classifier(self, tenant: Tenant) -> None:
        await create(tenant.client, "Not for AI")
        response = await tenant.client.post(REPLY, json={"reply_text": "Not interested, please remove me."})
        assert response.status_code == 200
        assert response.json() == {"result": "Not Interested", "custom_labels_considered": []}
        assert response.headers["x-coldsend-classifier"] == "keyword"

    async def test_ai_enabled_custom_label(self, tenant: Tenant) -> None:
        await create(
            tenant.client, "Hot Lead", use_with_ai=True, description='Replies saying "budget approved"'
        )
        await create(tenant.client, "Needs Follow-up", "neutral", use_with_ai=True)
        await create(tenant.client, "Ignored", use_with_ai=False)
        response = await tenant.client.post(
            REPLY, json={"reply_text": "Budget approved, interested!", "extra": 1}
        )
        assert response.json() == {
            "result": "Hot Lead",
            "custom_labels_considered": ["Hot Lead", "Needs Follow-up"],
        }

    async def test_nothing_fits_is_plain_lead(self, tenant: Tenant) -> None:
        response = await tenant.client.post(REPLY, json={"reply_text": "Who gave you my address?"})
        assert response.json() == {"result": "Lead", "custom_labels_considered": []}

    async def test_rules_file(
        self, tenant: Tenant, tmp_path: Path, override_settings: OverrideSettings
    ) -> None:
        rules = tmp_path / "rules.json"
        rules.write_text(json.dumps({"statuses": {"won": ["signed the contract"]}}))
        override_settings(reply_rules_file=rules)
        response = await tenant.client.post(REPLY, json={"reply_text": "We signed the contract today"})
        assert response.json()["result"] == "Won"

    async def test_llm_provider(self, tenant: Tenant, override_settings: OverrideSettings) -> None:
        await create(tenant.client, "Hot Lead", use_with_ai=True)
        with fake_llm() as llm:
            update = {"reply_classifier_url": llm.url, "reply_classifier_model": "tiny"}
            override_settings(**update)
            llm.answer = "Hot Lead"
            response = await tenant.client.post(REPLY, json={"reply_text": "ok"})
            assert response.status_code == 200
            assert response.json() == {"result": "Hot Lead", "custom_labels_considered": ["Hot Lead"]}
            assert response.headers["x-coldsend-classifier"] == "openai-compatible"
            llm.status = 500
            response = await tenant.client.post(REPLY, json={"reply_text": "ok"})
        assert response.status_code == 500
        assert response.json() == {
            "statusCode": 500,
            "error": "Internal Server Error",
            "message": "Classification failed",
        }

    async def test_budget_is_429(self, make_tenant: MakeTenant, override_settings: OverrideSettings) -> None:
        override_settings(reply_label_budget=2)
        tenant, other = await make_tenant(), await make_tenant()
        for _ in range(2):
            assert (await tenant.client.post(REPLY, json={"reply_text": "hi"})).status_code == 200
        assert_400(await tenant.client.post(REPLY, json={}), "body must have required property 'reply_text'")
        response = await tenant.client.post(REPLY, json={"reply_text": "hi"})
        assert response.status_code == 429
        assert response.json() == {
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Rate limit exceeded",
        }
        assert (await other.client.post(REPLY, json={"reply_text": "hi"})).status_code == 200

    async def test_without_scope_is_403(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        key = await make_key(tenant.workspace_id, ["lead-labels:create", "lead-labels:update"])
        async with client_for(app, key) as client:
            assert (await client.post(REPLY, json={"reply_text": "hi"})).status_code == 403
