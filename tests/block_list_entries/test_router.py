import csv
import io
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from coldsend.block_list_entries import service as block_list_service
from coldsend.db.session import session_scope
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for
from tests.pages import collect_pages

PATH = "/api/v2/block-lists-entries"
FIELDS = {"id", "timestamp_created", "organization_id", "bl_value", "is_domain"}


async def create(tenant: Tenant, value: str) -> dict[str, Any]:
    response = await tenant.client.post(PATH, json={"bl_value": value})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def bulk(tenant: Tenant, values: list[str]) -> dict[str, Any]:
    response = await tenant.client.post(f"{PATH}/bulk-create", json={"bl_values": values})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


class TestCreateBlockListEntry:
    async def test_domain_and_email_shapes(self, tenant: Tenant) -> None:
        domain = await create(tenant, "Example.COM")
        assert set(domain) == FIELDS
        assert domain["bl_value"] == "example.com"
        assert domain["is_domain"] is True
        assert domain["organization_id"] == str(tenant.workspace_id)
        assert uuid.UUID(domain["id"]).version == 7
        assert domain["timestamp_created"].endswith("Z")
        assert len(domain["timestamp_created"]) == 24
        email = await create(tenant, "  John.Doe@Example.org ")
        assert email["bl_value"] == "john.doe@example.org"
        assert email["is_domain"] is False

    async def test_idn_domains_have_one_form(self, tenant: Tenant) -> None:
        first = await create(tenant, "Bücher.example")
        assert first["bl_value"] == "xn--bcher-kva.example"
        again = await create(tenant, "xn--BCHER-kva.example.")
        assert again["id"] == first["id"]
        email = await create(tenant, "Anna@BÜCHER.example")
        assert email["bl_value"] == "anna@xn--bcher-kva.example"

    async def test_duplicate_returns_existing_entry(self, tenant: Tenant) -> None:
        first = await create(tenant, "dup@example.com")
        second = await create(tenant, "DUP@example.com")
        assert second == first
        items = (await tenant.client.get(PATH)).json()["items"]
        assert [item["id"] for item in items] == [first["id"]]

    @pytest.mark.parametrize(
        "value",
        ["", "   ", "not a domain", "localhost", "a@", "@example.com", "a@@b", "a b@example.com",
         "x..y@example.com", "1.2.3.4", "-bad-.com", "a" * 70 + "@example.com", "exa_mple.com"],
    )  # fmt: skip
    async def test_invalid_value_is_400(self, tenant: Tenant, value: str) -> None:
        response = await tenant.client.post(PATH, json={"bl_value": value})
        assert response.status_code == 400
        assert response.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": 'body/bl_value must match format "email" or "hostname"',
        }

    async def test_missing_or_extra_property_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.post(PATH, json={})
        assert response.status_code == 400
        assert response.json()["message"] == "body must have required property 'bl_value'"
        response = await tenant.client.post(PATH, json={"bl_value": "a.com", "is_domain": False})
        assert response.status_code == 400


class TestListBlockListEntry:
    async def test_pages_each_entry_once_in_creation_order(self, tenant: Tenant) -> None:
        created = (await bulk(tenant, [f"user{i}@example.com" for i in range(250)]))["items"]
        items, pages = await collect_pages(tenant.client, PATH, limit=100)
        assert pages == 3
        assert [item["id"] for item in items] == [item["id"] for item in created]
        assert all(set(item) == FIELDS for item in items)

    async def test_domains_only_and_search(self, tenant: Tenant) -> None:
        await bulk(tenant, ["acme.com", "bob@acme.com", "other.org", "ann@other.org", "100%_off.net"])
        domains = (await tenant.client.get(PATH, params={"domains_only": "true"})).json()["items"]
        assert {item["bl_value"] for item in domains} == {"acme.com", "other.org"}
        everything = (await tenant.client.get(PATH, params={"domains_only": "false"})).json()["items"]
        assert len(everything) == 4
        found = (await tenant.client.get(PATH, params={"search": " ACME "})).json()["items"]
        assert {item["bl_value"] for item in found} == {"acme.com", "bob@acme.com"}
        both = {"domains_only": "true", "search": "other"}
        found = (await tenant.client.get(PATH, params=both)).json()["items"]
        assert [item["bl_value"] for item in found] == ["other.org"]
        literal = (await tenant.client.get(PATH, params={"search": "_"})).json()["items"]
        assert literal == []

    async def test_search_in_idn_form(self, tenant: Tenant) -> None:
        await create(tenant, "münchen.de")
        found = (await tenant.client.get(PATH, params={"search": "MÜNCHEN.de"})).json()["items"]
        assert [item["bl_value"] for item in found] == ["xn--mnchen-3ya.de"]

    async def test_only_own_workspace(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await create(tenant, "mine.com")
        other = await make_tenant()
        assert (await other.client.get(PATH)).json() == {"items": []}

    async def test_bad_query_is_400(self, tenant: Tenant) -> None:
        for params in ({"limit": 0}, {"limit": 101}, {"domains_only": "maybe"}, {"starting_after": "x"}):
            response = await tenant.client.get(PATH, params=params)
            assert response.status_code == 400, params


class TestGetPatchDeleteBlockListEntry:
    async def test_get(self, tenant: Tenant) -> None:
        entry = await create(tenant, "get.example.com")
        response = await tenant.client.get(f"{PATH}/{entry['id']}")
        assert response.status_code == 200
        assert response.json() == entry

    async def test_patch_renormalises_and_rederives_is_domain(self, tenant: Tenant) -> None:
        entry = await create(tenant, "a@example.com")
        response = await tenant.client.patch(f"{PATH}/{entry['id']}", json={"bl_value": " Example.NET "})
        assert response.status_code == 200
        body = response.json()
        assert body == {**entry, "bl_value": "example.net", "is_domain": True}
        assert (await tenant.client.get(f"{PATH}/{entry['id']}")).json() == body

    async def test_patch_to_own_value_is_a_no_op(self, tenant: Tenant) -> None:
        entry = await create(tenant, "same.com")
        response = await tenant.client.patch(f"{PATH}/{entry['id']}", json={"bl_value": "SAME.com"})
        assert response.json() == entry

    async def test_patch_bad_bodies_are_400(self, tenant: Tenant) -> None:
        entry = await create(tenant, "p.com")
        taken = await create(tenant, "taken.com")
        for body, message in [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"bl_value": None}, "body/bl_value must be string"),
            ({"bl_value": "nope"}, 'body/bl_value must match format "email" or "hostname"'),
            ({"bl_value": "Taken.com"}, "body/bl_value is already in the block list"),
            ({"is_domain": False}, "body must NOT have additional properties"),
        ]:
            response = await tenant.client.patch(f"{PATH}/{entry['id']}", json=body)
            assert response.status_code == 400, body
            assert response.json()["message"] == message, body
        assert (await tenant.client.get(f"{PATH}/{taken['id']}")).json() == taken

    async def test_delete_returns_the_deleted_entry(self, tenant: Tenant) -> None:
        entry = await create(tenant, "gone.com")
        response = await tenant.client.delete(f"{PATH}/{entry['id']}")
        assert response.status_code == 200
        assert response.json() == entry
        assert (await tenant.client.get(f"{PATH}/{entry['id']}")).status_code == 404
        assert (await tenant.client.delete(f"{PATH}/{entry['id']}")).status_code == 404

    async def test_other_workspace_ids_are_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = await create(other, "theirs.com")
        url = f"{PATH}/{theirs['id']}"
        for response in [
            await tenant.client.get(url),
            await tenant.client.patch(url, json={"bl_value": "mine.com"}),
            await tenant.client.delete(url),
        ]:
            assert response.status_code == 404
            assert response.json() == {
                "statusCode": 404,
                "error": "Not Found",
                "message": "Resource not found",
            }
        assert (await other.client.get(url)).json() == theirs

    async def test_unknown_and_malformed_ids(self, tenant: Tenant) -> None:
        assert (await tenant.client.get(f"{PATH}/{uuid.uuid4()}")).status_code == 404
        response = await tenant.client.get(f"{PATH}/not-a-uuid")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/id must match format "uuid"'


class TestBulkCreateBlockListEntry:
    async def test_counts_and_reasons(self, tenant: Tenant) -> None:
        await create(tenant, "old@example.com")
        body = await bulk(
            tenant, ["new.com", "NEW.com", "old@example.com", "bad value", "ok@new.com", "", "Straße.de"]
        )
        assert set(body) == {"items", "valid_count", "invalid_count", "skipped"}
        assert [item["bl_value"] for item in body["items"]] == ["new.com", "ok@new.com", "strasse.de"]
        assert [item["is_domain"] for item in body["items"]] == [True, False, True]
        assert all(set(item) == FIELDS for item in body["items"])
        assert body["valid_count"] == 5
        assert body["invalid_count"] == 2
        assert body["skipped"] == [
            {"bl_value": "bad value", "reason": "invalid"},
            {"bl_value": "", "reason": "invalid"},
            {"bl_value": "NEW.com", "reason": "duplicate"},
            {"bl_value": "old@example.com", "reason": "duplicate"},
        ]

    async def test_limits_and_types_are_400(self, tenant: Tenant) -> None:
        for payload, message in [
            ({"bl_values": []}, "body/bl_values must NOT have fewer than 1 items"),
            ({"bl_values": ["a.com"] * 1001}, "body/bl_values must NOT have more than 1000 items"),
            ({"bl_values": ["a.com", 3]}, "body/bl_values/1 must be string"),
            ({}, "body must have required property 'bl_values'"),
        ]:  # fmt: skip
            response = await tenant.client.post(f"{PATH}/bulk-create", json=payload)
            assert response.status_code == 400
            assert response.json()["message"] == message
        assert (await tenant.client.get(PATH)).json() == {"items": []}

    async def test_ten_thousand_then_download_has_each_once(self, tenant: Tenant) -> None:
        values = [f"person{i}@company{i % 997}.com" for i in range(10_000)]
        for start in range(0, 10_000, 1000):
            body = await bulk(tenant, values[start : start + 1000])
            assert body["valid_count"] == 1000
            assert len(body["items"]) == 1000
        response = await tenant.client.get(f"{PATH}/download", headers={"Accept": "application/json"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = csv_rows(response.text)
        assert rows[0] == ["Blocked Email", "Date"]
        assert sorted(row[0] for row in rows[1:]) == sorted(values)
        assert all(row[1].endswith("Z") for row in rows[1:])


class TestDownloadBlockListEntry:
    async def test_filters_and_empty(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await bulk(tenant, ["a.com", "x@a.com", "b.org"])
        rows = csv_rows((await tenant.client.get(f"{PATH}/download", params={"domains_only": "true"})).text)
        assert [row[0] for row in rows[1:]] == ["a.com", "b.org"]
        rows = csv_rows((await tenant.client.get(f"{PATH}/download", params={"search": "x@"})).text)
        assert [row[0] for row in rows[1:]] == ["x@a.com"]
        other = await make_tenant()
        assert (await other.client.get(f"{PATH}/download")).text == "Blocked Email,Date\r\n"

    async def test_formula_like_addresses_download_as_text(self, tenant: Tenant) -> None:
        await bulk(tenant, ["=1+2@evil.com", "+sum@a.com", "-x@a.com", "plain@a.com"])
        rows = csv_rows((await tenant.client.get(f"{PATH}/download")).text)
        shown = sorted(row[0] for row in rows[1:])
        assert shown == ["'+sum@a.com", "'-x@a.com", "'=1+2@evil.com", "plain@a.com"]

    async def test_read_in_keyset_batches(
        self, app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(block_list_service, "DOWNLOAD_BATCH", 7)
        await bulk(tenant, [f"d{i}.com" for i in range(30)])
        chunks = [
            chunk
            async for chunk in block_list_service.csv_lines(
                app.state.read_sessionmaker,
                workspace_id=tenant.workspace_id,
                filters=block_list_service.Filters(),
            )
        ]
        assert len(chunks) == 5
        assert chunks[0].startswith("Blocked Email,Date\r\nd0.com,")
        assert [row[0] for row in csv_rows("".join(chunks))[1:]] == [f"d{i}.com" for i in range(30)]
        response = await tenant.client.get(f"{PATH}/download")
        assert response.text.splitlines()[1:] == "".join(chunks).splitlines()[1:]
        assert response.headers["content-disposition"] == 'attachment; filename="block-list.csv"'


class TestDeleteAllAndBulkDelete:
    async def test_delete_all_returns_deleted(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        await bulk(other, ["keep.com"])
        created = (await bulk(tenant, ["a.com", "x@a.com", "b.org"]))["items"]
        response = await tenant.client.delete(PATH, params={"domains_only": "true"})
        assert response.status_code == 200
        assert [item["bl_value"] for item in response.json()] == ["a.com", "b.org"]
        response = await tenant.client.request(
            "DELETE", PATH, content="null", headers={"content-type": "application/json"}
        )
        assert response.json() == [created[1]]
        assert (await tenant.client.get(PATH)).json() == {"items": []}
        assert len((await other.client.get(PATH)).json()["items"]) == 1

    async def test_bulk_delete_own_ids_only(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        other = await make_tenant()
        theirs = (await bulk(other, ["theirs.com"]))["items"][0]
        mine = (await bulk(tenant, ["a.com", "b.com", "c.com"]))["items"]
        ids = [mine[0]["id"], mine[2]["id"], theirs["id"], str(uuid.uuid4()), mine[0]["id"]]
        response = await tenant.client.post(f"{PATH}/bulk-delete", json={"ids": ids})
        assert response.status_code == 200
        assert response.json() == [mine[0], mine[2]]
        assert [item["id"] for item in (await tenant.client.get(PATH)).json()["items"]] == [mine[1]["id"]]
        assert (await other.client.get(f"{PATH}/{theirs['id']}")).status_code == 200

    async def test_bulk_delete_bad_bodies_are_400(self, tenant: Tenant) -> None:
        for payload, message in [
            ({"ids": []}, "body/ids must NOT have fewer than 1 items"),
            (
                {"ids": [str(uuid.uuid4()) for _ in range(1001)]},
                "body/ids must NOT have more than 1000 items",
            ),
            ({"ids": ["nope"]}, 'body/ids/0 must match format "uuid"'),
        ]:
            response = await tenant.client.post(f"{PATH}/bulk-delete", json=payload)
            assert response.status_code == 400
            assert response.json()["message"] == message


OPERATIONS = [
    ("POST", PATH, {"bl_value": "a.com"}, "block_list_entries:create"),
    ("GET", PATH, None, "block_list_entries:read"),
    ("DELETE", PATH, None, "block_list_entries:delete"),
    ("GET", f"{PATH}/{{id}}", None, "block_list_entries:read"),
    ("PATCH", f"{PATH}/{{id}}", {"bl_value": "b.com"}, "block_list_entries:update"),
    ("DELETE", f"{PATH}/{{id}}", None, "block_list_entries:delete"),
    ("POST", f"{PATH}/bulk-create", {"bl_values": ["c.com"]}, "block_list_entries:create"),
    ("POST", f"{PATH}/bulk-delete", {"ids": ["{id}"]}, "block_list_entries:delete"),
    ("GET", f"{PATH}/download", None, "block_list_entries:read"),
]


class TestScopes:
    @pytest.mark.parametrize(("method", "path", "body", "scope"), OPERATIONS)
    async def test_scope_needed(
        self,
        app: FastAPI,
        tenant: Tenant,
        make_key: MakeKey,
        method: str,
        path: str,
        body: Any,
        scope: str,
    ) -> None:
        entry = await create(tenant, "scoped.com")
        path = path.replace("{id}", entry["id"])
        if body and "ids" in body:
            body = {"ids": [entry["id"]]}
        resource, action = scope.split(":")
        wrong = [f"{resource}:{a}" for a in ("create", "read", "update", "delete") if a != action]
        other_all = f"all:{'read' if action != 'read' else 'create'}"
        for scopes, status in [(wrong + ["leads:all", other_all], 403), ([scope], 200)]:
            key = await make_key(tenant.workspace_id, scopes)
            async with client_for(app, key) as client:
                response = await client.request(method, path, json=body)
            assert response.status_code == status, (scopes, response.text)


class TestBlocked:
    async def test_exact_email_or_exact_domain(
        self, app: FastAPI, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        await bulk(tenant, ["blocked.com", "Jane@Example.com", "bücher.example"])
        other = await make_tenant()
        await bulk(other, ["other.com"])
        asked = [
            "anyone@BLOCKED.com",
            " jane@example.COM ",
            "john@example.com",
            "x@sub.blocked.com",
            "k@Bücher.example",
            "someone@other.com",
            "not-an-address",
            "",
        ]
        async with session_scope(app.state.read_sessionmaker) as session:
            hits = await block_list_service.blocked(
                session, workspace_id=tenant.workspace_id, addresses=asked
            )
            none = await block_list_service.blocked(session, workspace_id=tenant.workspace_id, addresses=[])
        assert hits == {"anyone@BLOCKED.com", " jane@example.COM ", "k@Bücher.example"}
        assert none == set()

    async def test_ten_thousand_in_one_call(self, app: FastAPI, tenant: Tenant) -> None:
        for start in range(0, 3000, 1000):
            await bulk(tenant, [f"u{i}@bulk.example" for i in range(start, start + 1000)])
        asked = [f"u{i}@bulk.example" for i in range(0, 10_000, 1)]
        async with session_scope(app.state.read_sessionmaker) as session:
            hits = await block_list_service.blocked(
                session, workspace_id=tenant.workspace_id, addresses=asked
            )
        assert hits == set(asked[:3000])
