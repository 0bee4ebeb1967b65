import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend import encryption as secrets
from coldsend.accounts import jobs as account_jobs
from coldsend.db.session import session_scope
from coldsend.engine.job_runner import JobRunner
from coldsend.jobs import HANDLERS
from coldsend.models import Account, AuditLog, BackgroundJob
from tests.conftest import MakeKey, MakeTenant, Tenant, client_for, make_settings
from tests.factories import ACCOUNTS, PASSWORD, account_body, create_account, reachable
from tests.pages import collect_pages

NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}
ACCOUNT_FIELDS = {
    "email", "timestamp_created", "timestamp_updated", "first_name", "last_name", "added_by", "daily_limit",
    "daily_limit_max", "warmup_limit_max", "modified_by", "tracking_domain_name", "tracking_domain_status",
    "status", "enable_slow_ramp", "inbox_placement_test_limit", "organization", "warmup_status",
    "timestamp_warmup_start", "provider_code", "setup_pending", "is_managed_account", "stat_warmup_score",
    "sending_gap", "signature", "reply_to", "autofix_failed",
}  # fmt: skip
SPEC_ONLY_WHEN_SET = {"warmup", "status_message"}


async def row(app: FastAPI, workspace_id: uuid.UUID, email: str) -> Account:
    async with app.state.sessionmaker() as session:
        account: Account | None = await session.scalar(
            select(Account).where(Account.workspace_id == workspace_id, Account.email == email)
        )
    assert account is not None
    return account


async def audit_rows(app: FastAPI, workspace_id: uuid.UUID) -> list[AuditLog]:
    async with app.state.sessionmaker() as session:
        found = await session.scalars(
            select(AuditLog).where(AuditLog.workspace_id == workspace_id).order_by(AuditLog.id)
        )
        return list(found)


def path_of(email: str) -> str:
    return f"{ACCOUNTS}/{quote(email, safe='')}"


class TestCreateAccount:
    async def test_spec_shape_without_secrets(self, tenant: Tenant) -> None:
        warmup = {"limit": 20, "increment": "2", "reply_rate": 0.1, "advanced": {"weekday_only": True}}
        body = account_body(
            "Jane.Doe@Example.COM",
            warmup=warmup,
            daily_limit=40,
            sending_gap=5,
            enable_slow_ramp=True,
            signature="Jane",
            reply_to="replies@example.com",
            inbox_placement_test_limit=3,
            warmup_custom_ftag="wf",
            **reachable(),
        )
        response = await tenant.client.post(ACCOUNTS, json=body)
        assert response.status_code == 200, response.text
        created = response.json()
        assert set(created) == ACCOUNT_FIELDS | {"warmup"}
        assert created["email"] == "jane.doe@example.com"
        assert created["organization"] == str(tenant.workspace_id)
        assert created["status"] == 1
        assert created["warmup_status"] == 0
        assert created["provider_code"] == 1
        assert created["warmup"] == {**warmup, "warmup_custom_ftag": "wf"}
        assert (created["daily_limit"], created["sending_gap"], created["enable_slow_ramp"]) == (40, 5, True)
        assert created["reply_to"] == "replies@example.com"
        assert created["timestamp_created"].endswith("Z")
        assert PASSWORD not in response.text
        assert "smtp" not in response.text
        assert "imap" not in response.text
        assert (await tenant.client.get(path_of("jane.doe@example.com"))).json() == created

    async def test_minimal_body_defaults(self, tenant: Tenant) -> None:
        created = await create_account(tenant, "min@example.com")
        assert set(created) == ACCOUNT_FIELDS
        assert created["sending_gap"] == 10
        assert created["daily_limit"] is None
        assert created["setup_pending"] is False
        assert created["is_managed_account"] is False

    async def test_passwords_stored_encrypted(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "crypt@example.com", imap_password="imap-pw-1")
        stored = await row(app, tenant.workspace_id, "crypt@example.com")
        assert stored.smtp_password_encrypted != PASSWORD
        assert PASSWORD not in stored.smtp_password_encrypted
        assert "imap-pw-1" not in (stored.imap_password_encrypted or "")
        settings = app.state.settings
        assert secrets.decrypt(settings, stored.smtp_password_encrypted) == PASSWORD
        assert secrets.decrypt(settings, stored.imap_password_encrypted or "") == "imap-pw-1"

    @pytest.mark.parametrize(
        ("smtp_port", "imap_port", "extension", "expected"),
        [
            (587, 993, {}, ("starttls", "ssl")),
            (465, 143, {}, ("ssl", "starttls")),
            (2525, 1143, {"smtp_tls": "none", "imap_tls": "ssl"}, ("none", "ssl")),
        ],
    )
    async def test_tls_mode_from_port_or_extension(
        self,
        app: FastAPI,
        tenant: Tenant,
        smtp_port: int,
        imap_port: int,
        extension: dict[str, str],
        expected: tuple[str, str],
    ) -> None:
        await create_account(tenant, "tls@example.com", smtp_port=smtp_port, imap_port=imap_port, **extension)
        stored = await row(app, tenant.workspace_id, "tls@example.com")
        assert (stored.smtp_tls, stored.imap_tls) == expected
        assert (stored.smtp_port, stored.imap_port) == (smtp_port, imap_port)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"email": "not-an-email"}, 'body/email must match format "email"'),
            (
                {"provider_code": 5},
                "body/provider_code must be equal to one of the allowed values (allowed: 1, 2, 3, 4, 8, 11)",
            ),
            ({"smtp_port": 0}, "body/smtp_port must be >= 1"),
            ({"imap_port": 70000}, "body/imap_port must be <= 65535"),
            ({"smtp_port": "abc"}, "body/smtp_port must be integer"),
            ({"smtp_host": "smtp example.com"}, "body/smtp_host must be a host name or an IP address"),
            ({"imap_host": ""}, "body/imap_host must be a host name or an IP address"),
            ({"imap_password": ""}, "body/imap_password must NOT have fewer than 1 characters"),
            ({"imap_username": "  "}, "body/imap_username must not be blank"),
            ({"sending_gap": 1441}, "body/sending_gap must be <= 1440"),
            ({"reply_to": "nope"}, 'body/reply_to must match format "email"'),
            (
                {"warmup": {"increment": "9"}},
                "body/warmup/increment must be equal to one of the allowed values (allowed: 'disabled', "
                "'0', '1', '2', '3', '4')",
            ),
            (
                {"smtp_tls": "tls"},
                "body/smtp_tls must be equal to one of the allowed values (allowed: 'ssl', 'starttls', "
                "'none', 'cleartext')",
            ),
            ({"status": 1}, "body must NOT have additional properties"),
        ],
    )
    async def test_invalid_is_400(self, tenant: Tenant, change: dict[str, Any], message: str) -> None:
        response = await tenant.client.post(ACCOUNTS, json=account_body("bad@example.com", **change))
        assert response.status_code == 400, response.text
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}
        assert (await tenant.client.get(path_of("bad@example.com"))).status_code == 404

    async def test_missing_smtp_setting(self, tenant: Tenant) -> None:
        body = account_body("bad@example.com")
        del body["smtp_password"]
        response = await tenant.client.post(ACCOUNTS, json=body)
        assert response.status_code == 400
        assert response.json()["message"] == "body must have required property 'smtp_password'"

    async def test_duplicate_is_400_and_other_workspace_may_reuse(
        self, tenant: Tenant, make_tenant: MakeTenant
    ) -> None:
        await create_account(tenant, "dup@example.com")
        again = await tenant.client.post(ACCOUNTS, json=account_body("DUP@example.com"))
        assert again.status_code == 400
        assert again.json()["message"] == "An account with this email already exists in this workspace"
        other = await make_tenant()
        await create_account(other, "dup@example.com")

    async def test_audited(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "audit@example.com")
        [entry] = await audit_rows(app, tenant.workspace_id)
        assert entry.activity_type == 6
        assert entry.audit_metadata == {"email": "audit@example.com"}


class TestListAccounts:
    async def test_pages_with_the_special_cursor(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        emails = [f"user{n}@example.com" for n in range(5)]
        for email in emails:
            await create_account(tenant, email)
        await create_account(await make_tenant(), "elsewhere@example.com")
        first = (await tenant.client.get(ACCOUNTS, params={"limit": 2})).json()
        cursor = first["next_starting_after"]
        stamp, _, email = cursor.partition("&")
        assert email == emails[1]
        assert stamp.endswith("Z")
        assert len(stamp) == 24
        items, pages = await collect_pages(tenant.client, ACCOUNTS, limit=2)
        assert [item["email"] for item in items] == emails
        assert pages == 3

    async def test_legacy_timestamp_cursor(self, tenant: Tenant) -> None:
        first = await create_account(tenant, "first@example.com")
        response = await tenant.client.get(ACCOUNTS, params={"starting_after": first["timestamp_created"]})
        assert response.status_code == 200
        assert "first@example.com" not in [item["email"] for item in response.json()["items"]]

    @pytest.mark.parametrize(
        "cursor", ["yesterday", "2026-13-01T00:00:00Z&a@example.com", "2026-01-01T00:00:00Z&"]
    )
    async def test_bad_cursor(self, tenant: Tenant, cursor: str) -> None:
        response = await tenant.client.get(ACCOUNTS, params={"starting_after": cursor})
        assert response.status_code == 400
        assert response.json()["message"].startswith("querystring/starting_after must be")

    async def test_filters_search_and_tags(self, tenant: Tenant) -> None:
        await create_account(tenant, "alice@example.com", first_name="Alice")
        await create_account(tenant, "bob@example.com", provider_code=2)
        await create_account(tenant, "carol@example.com")
        await tenant.client.post(f"{path_of('carol@example.com')}/pause")
        tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "warm"})).json()["id"]
        other = (await tenant.client.post("/api/v2/custom-tags", json={"label": "cold"})).json()["id"]
        toggle = {"tag_ids": [tag], "resource_type": 1, "resource_ids": ["Alice@Example.com"], "assign": True}
        assert (
            await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        ).status_code == 200
        toggle = {**toggle, "tag_ids": [tag, other], "resource_ids": ["bob@example.com"]}
        assert (
            await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        ).status_code == 200

        async def emails(**params: Any) -> list[str]:
            response = await tenant.client.get(ACCOUNTS, params=params)
            assert response.status_code == 200, response.text
            return [item["email"] for item in response.json()["items"]]

        assert await emails(search="ALI") == ["alice@example.com"]
        assert await emails(provider_code=2) == ["bob@example.com"]
        assert await emails(status=2) == ["carol@example.com"]
        assert await emails(filter="ACC_FILTER_PAUSED") == ["carol@example.com"]
        assert await emails(filter="ACC_FILTER_ERROR") == []
        assert await emails(tag_ids=f"{tag},{other}") == ["alice@example.com", "bob@example.com"]
        assert await emails(tag_ids_all=f"{tag},{other}") == ["bob@example.com"]
        listed = (await tenant.client.get(ACCOUNTS, params={"include_tags": "true", "search": "bob"})).json()
        assert sorted(t["label"] for t in listed["items"][0]["tags"]) == ["cold", "warm"]
        assert "tags" not in (await tenant.client.get(ACCOUNTS)).json()["items"][0]
        mappings = (
            await tenant.client.get(
                "/api/v2/custom-tag-mappings", params={"resource_ids": "alice@example.com"}
            )
        ).json()
        assert [(m["resource_id"], m["resource_type"]) for m in mappings["items"]] == [
            ("alice@example.com", 1)
        ]

    async def test_sort_and_skip(self, tenant: Tenant) -> None:
        for email in ("b@example.com", "c@example.com", "a@example.com"):
            await create_account(tenant, email)
        page = (await tenant.client.get(ACCOUNTS, params={"sort_by": "email", "limit": 2})).json()
        assert [item["email"] for item in page["items"]] == ["c@example.com", "b@example.com"]
        assert "next_starting_after" not in page
        rest = await tenant.client.get(ACCOUNTS, params={"sort_by": "email", "sort_order": "asc", "skip": 2})
        assert [item["email"] for item in rest.json()["items"]] == ["c@example.com"]

    @pytest.mark.parametrize(
        "params",
        [{"status": 5}, {"provider_code": 7}, {"filter": "ACC_FILTER_X"}, {"tag_ids": "x"}, {"skip": -1}],
    )
    async def test_bad_filters(self, tenant: Tenant, params: dict[str, Any]) -> None:
        response = await tenant.client.get(ACCOUNTS, params=params)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "Bad Request"


class TestGetPatchDelete:
    async def test_url_encoded_and_mixed_case_paths(self, tenant: Tenant) -> None:
        await create_account(tenant, "mixed@example.com")
        assert (await tenant.client.get(f"{ACCOUNTS}/Mixed%40Example.com")).status_code == 200
        assert (await tenant.client.get(f"{ACCOUNTS}/mixed@example.com")).status_code == 200

    async def test_other_workspace_is_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        await create_account(tenant, "mine@example.com")
        other = await make_tenant()
        path = path_of("mine@example.com")
        for response in [
            await other.client.get(path),
            await other.client.patch(path, json={"first_name": "X"}),
            await other.client.delete(path),
            await other.client.post(f"{path}/pause"),
            await other.client.post(f"{path}/resume"),
            await other.client.post(f"{path}/mark-fixed"),
            await other.client.get(f"/api/v2/account-campaign-mappings/{quote('mine@example.com')}"),
        ]:
            assert response.status_code == 404
            assert response.json() == NOT_FOUND
        assert (await tenant.client.get(path)).json()["first_name"] == "Sam"

    async def test_invalid_email_in_path_is_400(self, tenant: Tenant) -> None:
        response = await tenant.client.get(f"{ACCOUNTS}/not-an-email")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/email must match format "email"'

    async def test_patch_fields_warmup_and_passwords(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "patch@example.com", warmup={"limit": 10, "reply_rate": 0.2})
        before = await row(app, tenant.workspace_id, "patch@example.com")
        body = {
            "first_name": "Pat",
            "daily_limit": None,
            "sending_gap": 0,
            "warmup": {"limit": 30},
            "smtp_password": "new-password",
            "smtp_port": 465,
            "imap_host": "localhost",
        }
        response = await tenant.client.patch(path_of("patch@example.com"), json=body)
        assert response.status_code == 200, response.text
        patched = response.json()
        assert patched["first_name"] == "Pat"
        assert patched["sending_gap"] == 0
        assert patched["warmup"] == {"limit": 30, "reply_rate": 0.2}
        assert "new-password" not in response.text
        after = await row(app, tenant.workspace_id, "patch@example.com")
        assert after.smtp_password_encrypted != before.smtp_password_encrypted
        assert secrets.decrypt(app.state.settings, after.smtp_password_encrypted) == "new-password"
        assert (after.smtp_port, after.smtp_tls, after.imap_host) == (465, "ssl", "localhost")
        entry = (await audit_rows(app, tenant.workspace_id))[-1]
        assert entry.activity_type == 36
        assert entry.audit_metadata["fields"] == [
            "first_name", "imap_host", "sending_gap", "smtp_password", "smtp_port", "smtp_tls", "warmup"
        ]  # fmt: skip

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "body must NOT have fewer than 1 properties"),
            ({"first_name": None}, "body/first_name must be string"),
            ({"sending_gap": -1}, "body/sending_gap must be >= 0"),
            ({"email": "x@example.com"}, "body must NOT have additional properties"),
            ({"smtp_port": 99999}, "body/smtp_port must be <= 65535"),
        ],
    )
    async def test_patch_invalid(self, tenant: Tenant, body: dict[str, Any], message: str) -> None:
        await create_account(tenant, "p@example.com")
        response = await tenant.client.patch(path_of("p@example.com"), json=body)
        assert response.status_code == 400
        assert response.json()["message"] == message

    async def test_remove_tracking_domain(self, tenant: Tenant) -> None:
        await create_account(
            tenant, "ctd@example.com", tracking_domain_name="track.example.com", skip_cname_check=True
        )
        assert (await tenant.client.get(path_of("ctd@example.com"))).json()[
            "tracking_domain_name"
        ] == "track.example.com"
        patched = await tenant.client.patch(path_of("ctd@example.com"), json={"remove_tracking_domain": True})
        assert patched.json()["tracking_domain_name"] is None

    async def test_delete_returns_it_and_drops_its_tags(self, app: FastAPI, tenant: Tenant) -> None:
        created = await create_account(tenant, "gone@example.com")
        tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "t"})).json()["id"]
        toggle = {"tag_ids": [tag], "resource_type": 1, "resource_ids": ["gone@example.com"], "assign": True}
        await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        response = await tenant.client.delete(path_of("gone@example.com"))
        assert response.status_code == 200
        assert response.json() == created
        assert (await tenant.client.get(path_of("gone@example.com"))).status_code == 404
        assert (await tenant.client.get("/api/v2/custom-tag-mappings")).json()["items"] == []
        assert (await audit_rows(app, tenant.workspace_id))[-1].activity_type == 7


class TestStatus:
    async def test_pause_resume_mark_fixed(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "s@example.com")
        path = path_of("s@example.com")
        assert (await tenant.client.post(f"{path}/pause")).json()["status"] == 2
        assert (await tenant.client.post(f"{path}/mark-fixed", json={})).json()["status"] == 2
        assert (await tenant.client.post(f"{path}/resume")).json()["status"] == 1
        async with session_scope(app.state.sessionmaker) as session:
            stored = await session.scalar(select(Account).where(Account.workspace_id == tenant.workspace_id))
            assert stored is not None
            stored.status, stored.status_message = -1, {"code": "EAUTH", "e_message": "refused"}
        broken = (await tenant.client.get(path)).json()
        assert broken["status"] == -1
        assert broken["status_message"] == {"code": "EAUTH", "e_message": "refused"}
        fixed = (await tenant.client.post(f"{path}/mark-fixed")).json()
        assert fixed["status"] == 1
        assert "status_message" not in fixed

    async def test_bulk_pause(self, tenant: Tenant) -> None:
        for email in ("a@example.com", "b@example.com"):
            await create_account(tenant, email)
        await tenant.client.post(f"{path_of('b@example.com')}/pause")
        emails = ["a@example.com", "A@example.com", "a@example.com", "b@example.com", "none@example.com", "x"]
        response = await tenant.client.post(f"{ACCOUNTS}/pause", json={"emails": emails})
        assert response.status_code == 200
        assert response.json() == {
            "paused_emails": ["a@example.com"],
            "failed_emails": ["x", "A@example.com", "b@example.com", "none@example.com"],
        }
        assert (await tenant.client.get(path_of("a@example.com"))).json()["status"] == 2
        too_many = await tenant.client.post(
            f"{ACCOUNTS}/pause", json={"emails": [f"u{n}@x.com" for n in range(101)]}
        )
        assert too_many.status_code == 400


async def run_jobs(app: FastAPI, database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path)
    handlers = {account_jobs.UPDATE_WARMUP_ACCOUNTS: HANDLERS[account_jobs.UPDATE_WARMUP_ACCOUNTS]}
    runner = JobRunner(settings, app.state.sessionmaker, handlers, worker_id="test-accounts")
    while await runner.run_once():
        pass


class TestWarmup:
    async def test_enable_then_disable_by_selection(
        self, app: FastAPI, tenant: Tenant, database_url: str, tmp_path: Path
    ) -> None:
        for email in ("w1@example.com", "w2@example.com", "w3@example.com"):
            await create_account(tenant, email)
        response = await tenant.client.post(
            f"{ACCOUNTS}/warmup/enable", json={"emails": ["w1@example.com", "W2@example.com"]}
        )
        assert response.status_code == 200, response.text
        job = response.json()
        assert (job["type"], job["status"], job["entity_type"]) == (
            "update-warmup-accounts",
            "pending",
            "workspace",
        )
        await run_jobs(app, database_url, tmp_path)
        done = (await tenant.client.get(f"/api/v2/background-jobs/{job['id']}")).json()
        assert done["status"] == "success"
        assert done["data"]["updated_accounts"] == 2
        statuses = {item["email"]: item for item in (await tenant.client.get(ACCOUNTS)).json()["items"]}
        assert [
            statuses[e]["warmup_status"] for e in ("w1@example.com", "w2@example.com", "w3@example.com")
        ] == [1, 1, 0]
        assert statuses["w1@example.com"]["timestamp_warmup_start"] is not None
        assert (await tenant.client.get(ACCOUNTS, params={"filter": "ACC_FILTER_W_ACTIVE"})).json()["items"][
            0
        ]["email"] == "w1@example.com"

        disable = {"include_all_emails": True, "excluded_emails": ["w2@example.com"], "search": "w"}
        response = await tenant.client.post(f"{ACCOUNTS}/warmup/disable", json=disable)
        assert response.status_code == 200
        await run_jobs(app, database_url, tmp_path)
        statuses = {
            item["email"]: item["warmup_status"]
            for item in (await tenant.client.get(ACCOUNTS)).json()["items"]
        }
        assert statuses == {"w1@example.com": 0, "w2@example.com": 1, "w3@example.com": 0}

    async def test_refusals(self, tenant: Tenant) -> None:
        await create_account(tenant, "w@example.com")
        empty = await tenant.client.post(f"{ACCOUNTS}/warmup/enable", json={})
        assert empty.status_code == 400
        unknown = await tenant.client.post(
            f"{ACCOUNTS}/warmup/enable", json={"emails": ["w@example.com", "who@example.com"]}
        )
        assert unknown.status_code == 404
        assert unknown.json()["message"] == "Accounts not found in this workspace: who@example.com"


class TestMove:
    async def test_move_within_admin_group(self, make_tenant: MakeTenant) -> None:
        admin, first, second = await make_tenant(), await make_tenant(), await make_tenant()
        for sub in (first, second):
            invited = await admin.client.post(
                "/api/v2/workspace-group-members", json={"sub_workspace_id": str(sub.workspace_id)}
            )
            joined = await sub.client.post(f"/api/v2/workspace-group-members/{invited.json()['id']}/accept")
            assert joined.json()["status"] == "accepted"
        await create_account(first, "m1@example.com")
        await create_account(first, "m2@example.com")
        tag = (await first.client.post("/api/v2/custom-tags", json={"label": "t"})).json()["id"]
        toggle = {"tag_ids": [tag], "resource_type": 1, "resource_ids": ["m1@example.com"], "assign": True}
        await first.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        body = {
            "emails": ["m1@example.com"],
            "source_workspace_id": str(first.workspace_id),
            "destination_workspace_id": str(second.workspace_id),
        }
        sub_key = await first.client.post(f"{ACCOUNTS}/move", json=body)
        assert sub_key.status_code == 403
        moved = await admin.client.post(f"{ACCOUNTS}/move", json=body)
        assert moved.status_code == 200, moved.text
        assert moved.json() == {"status": "success"}
        assert (await first.client.get(path_of("m1@example.com"))).status_code == 404
        assert (await second.client.get(path_of("m1@example.com"))).json()["organization"] == str(
            second.workspace_id
        )
        assert (await first.client.get("/api/v2/custom-tag-mappings")).json()["items"] == []

        await create_account(first, "m1@example.com")
        clash = await admin.client.post(f"{ACCOUNTS}/move", json=body)
        assert clash.status_code == 409
        missing = await admin.client.post(f"{ACCOUNTS}/move", json={**body, "emails": ["no@example.com"]})
        assert missing.status_code == 404
        outsider = await make_tenant()
        outside = await admin.client.post(
            f"{ACCOUNTS}/move", json={**body, "destination_workspace_id": str(outsider.workspace_id)}
        )
        assert outside.status_code == 403
        same = await admin.client.post(
            f"{ACCOUNTS}/move", json={**body, "destination_workspace_id": body["source_workspace_id"]}
        )
        assert same.status_code == 400


class TestAuth:
    async def test_read_key_cannot_write(self, app: FastAPI, tenant: Tenant, make_key: MakeKey) -> None:
        await create_account(tenant, "r@example.com")
        key = await make_key(tenant.workspace_id, ["accounts:read"])
        async with client_for(app, key) as reader:
            assert (await reader.get(path_of("r@example.com"))).status_code == 200
            assert (await reader.get(ACCOUNTS)).status_code == 200
            for response in [
                await reader.post(ACCOUNTS, json=account_body("n@example.com")),
                await reader.patch(path_of("r@example.com"), json={"first_name": "x"}),
                await reader.delete(path_of("r@example.com")),
                await reader.post(f"{path_of('r@example.com')}/pause"),
                await reader.post(f"{ACCOUNTS}/warmup/enable", json={"emails": ["r@example.com"]}),
            ]:
                assert response.status_code == 403
                assert response.json()["error"] == "Forbidden"
        key = await make_key(tenant.workspace_id, ["campaigns:all"])
        async with client_for(app, key) as outsider:
            assert (await outsider.get(ACCOUNTS)).status_code == 403

    async def test_jobs_table_has_the_warmup_job(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "j@example.com")
        job = (
            await tenant.client.post(f"{ACCOUNTS}/warmup/enable", json={"emails": ["j@example.com"]})
        ).json()
        async with app.state.sessionmaker() as session:
            stored = await session.get(BackgroundJob, job["id"])
        assert stored is not None
        assert stored.data["request"] == {"emails": ["j@example.com"]}
        assert stored.data["enable"] is True


class TestTagging:
    async def test_select_all_accounts_by_filter_and_search(self, tenant: Tenant) -> None:
        for email in ("p1@example.com", "p2@example.com", "active@example.com", "p3@other.test"):
            await create_account(tenant, email)
        for email in ("p1@example.com", "p2@example.com", "p3@other.test"):
            await tenant.client.post(f"{path_of(email)}/pause")
        tag = (await tenant.client.post("/api/v2/custom-tags", json={"label": "paused ones"})).json()["id"]
        toggle = {
            "tag_ids": [tag],
            "resource_type": 1,
            "selected_all": True,
            "filter": {"filter": "ACC_FILTER_PAUSED", "search": "example.com"},
            "excluded_resource_ids": ["P2@example.com"],
            "assign": True,
        }
        response = await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)
        assert response.status_code == 200, response.text
        tagged = (await tenant.client.get(ACCOUNTS, params={"tag_ids": tag})).json()["items"]
        assert [item["email"] for item in tagged] == ["p1@example.com"]
        unknown = {**toggle, "selected_all": False, "resource_ids": ["ghost@example.com"]}
        del unknown["filter"], unknown["excluded_resource_ids"]
        refused = await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=unknown)
        assert refused.status_code == 404
        assert "ghost@example.com" in refused.json()["message"]
