"""The `coldsend` command as an operator runs it: real processes, real HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Tenant, client_for, create_pg_database, drop_pg_database
from tests.operations import call, served_operations

COLDSEND = [sys.executable, "-m", "coldsend"]


def cli_env(database_url: str | None, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLDSEND_")}
    env["COLDSEND_DATA_DIR"] = str(data_dir)
    if database_url:
        env["COLDSEND_DATABASE_URL"] = database_url
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COLDSEND, *args], env=env, capture_output=True, text=True, timeout=120)


class TestWorkspaceAndKeyCommands:
    async def test_created_key_works_over_http(self, app: FastAPI, database_url: str, tmp_path: Path) -> None:
        env = cli_env(database_url, tmp_path)
        created = run(["workspace", "create", "--name", "Agency client"], env)
        assert created.returncode == 0, created.stderr
        workspace_id = uuid.UUID(created.stdout.strip())

        made = run(
            [
                "api-key",
                "create",
                "--name",
                "n8n",
                "--scopes",
                "api_keys:read",
                "--workspace",
                str(workspace_id),
            ],
            env,
        )
        assert made.returncode == 0, made.stderr
        lines = made.stdout.splitlines()
        assert len(lines) == 1
        key = lines[0]

        async with client_for(app, key) as client:
            listed = await client.get("/api/v2/api-keys")
            assert listed.status_code == 200
            assert {item["organization_id"] for item in listed.json()["items"]} == {str(workspace_id)}
            assert listed.json()["items"][0]["name"] == "n8n"
            refused = await client.post("/api/v2/api-keys", json={"name": "x", "scopes": ["all:all"]})
            assert refused.status_code == 403

    async def test_all_all_key_opens_every_implemented_operation(
        self, app: FastAPI, database_url: str, tmp_path: Path
    ) -> None:
        env = cli_env(database_url, tmp_path)
        workspace_id = run(["workspace", "create", "--name", "Sweep"], env).stdout.strip()
        made = run(
            ["api-key", "create", "--name", "ops", "--scopes", "all:all", "--workspace", workspace_id], env
        )
        assert made.returncode == 0, made.stderr
        operations = served_operations(app, "implemented")
        assert len(operations) >= 26
        async with client_for(app, made.stdout.strip()) as client:
            for op in operations:
                response = await call(client, op)
                assert response.status_code not in (401, 403), (op.operation_id, response.text)
                assert response.status_code < 500, (op.operation_id, response.text)

    def test_unknown_scope_is_refused(self, database_url: str, tmp_path: Path) -> None:
        made = run(
            ["api-key", "create", "--name", "x", "--scopes", "bogus:read"], cli_env(database_url, tmp_path)
        )
        assert made.returncode == 2
        assert made.stdout == ""
        assert "bogus:read" in made.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(port: int, env: dict[str, str], **popen: Any) -> Iterator[subprocess.Popen[str]]:
    """`coldsend serve --port PORT` with `env`, stopped with SIGTERM (then killed) when the block ends."""
    popen = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    process = subprocess.Popen([*COLDSEND, "serve", "--port", str(port)], env=env, text=True, **popen)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """`coldsend serve` on a fresh SQLite data dir, as the README's run command starts it."""
    port = free_port()
    with serving(port, cli_env(None, tmp_path)) as process:
        yield process, port, tmp_path


def wait_healthy(port: int, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not become healthy")


class TestServe:
    def test_first_start_prints_a_working_key_once(
        self, served: tuple[subprocess.Popen[str], int, Path]
    ) -> None:
        process, port, data_dir = served
        assert process.stdout is not None
        key = process.stdout.readline().strip()
        link = process.stdout.readline().strip()
        assert link.startswith(f"http://127.0.0.1:{port}/sign-in/link/"), "the dashboard's one-time link"
        wait_healthy(port)
        assert httpx.get(link).status_code == 200
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/v2/api-keys", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200
        assert response.json()["items"][0]["scopes"] == ["all:all"]
        assert (data_dir / "coldsend.db").exists()
        assert (data_dir / "secret_key").exists()
        docs = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        operation_ids = {op["operationId"] for path in docs["paths"].values() for op in path.values()}
        assert {"createAPIKey", "listAPIKey", "deleteAPIKey"} <= operation_ids

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)

        port = free_port()
        restarted = subprocess.Popen(
            [*COLDSEND, "serve", "--port", str(port)],
            env=cli_env(None, data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_healthy(port)
            still = httpx.get(
                f"http://127.0.0.1:{port}/api/v2/api-keys", headers={"Authorization": f"Bearer {key}"}
            )
            assert still.status_code == 200
        finally:
            restarted.send_signal(signal.SIGTERM)
            stdout, _ = restarted.communicate(timeout=15)
        assert stdout == "", "a key is printed only on the first start"


class TestScaleOutStart:
    async def test_nodes_started_together_on_an_empty_postgresql_migrate_and_bootstrap_once(
        self, tmp_path: Path
    ) -> None:
        url, name = await create_pg_database()
        nodes: list[tuple[subprocess.Popen[str], int]] = []
        try:
            for index in range(3):
                port = free_port()
                data_dir = tmp_path / f"node{index}"
                env = {**cli_env(url, data_dir), "COLDSEND_SECRET_KEY": "shared-secret"}
                process = subprocess.Popen(
                    [*COLDSEND, "serve", "--no-engine", "--port", str(port)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                nodes.append((process, port))
            for _process, port in nodes:
                wait_healthy(port)
        finally:
            outputs = []
            for process, _port in nodes:
                process.send_signal(signal.SIGTERM)
                stdout, stderr = process.communicate(timeout=30)
                outputs.append((stdout, stderr))
            await drop_pg_database(name)
        keys = [stdout.strip() for stdout, _ in outputs if stdout.strip()]
        assert len(keys) == 1, outputs
        assert all("Traceback" not in stderr for _, stderr in outputs), outputs


class TestAcceptMemberCommand:
    async def test_accepted_member_can_become_owner(
        self, tenant: Tenant, database_url: str, tmp_path: Path
    ) -> None:
        email = f"partner-{uuid.uuid4().hex[:8]}@example.com"
        invited = await tenant.client.post(
            "/api/v2/workspace-members", json={"email": email, "role": "admin"}
        )
        assert invited.json()["accepted"] is False
        change = {"email": email, "sec": str(tenant.workspace_id)}
        assert (
            await tenant.client.post("/api/v2/workspaces/current/change-owner", json=change)
        ).status_code == 400

        accepted = run(
            ["workspace", "accept-member", "--workspace", str(tenant.workspace_id), "--email", email],
            cli_env(database_url, tmp_path),
        )
        assert accepted.returncode == 0, accepted.stderr
        assert accepted.stdout.strip() == invited.json()["id"]
        member = await tenant.client.get(f"/api/v2/workspace-members/{invited.json()['id']}")
        assert member.json()["accepted"] is True
        changed = await tenant.client.post("/api/v2/workspaces/current/change-owner", json=change)
        assert changed.status_code == 200
        assert changed.json()["owner"] == invited.json()["user_id"]

    def test_unknown_member_exits_2(self, tenant: Tenant, database_url: str, tmp_path: Path) -> None:
        result = run(
            ["workspace", "accept-member", "--workspace", str(tenant.workspace_id), "--email", "no@x.io"],
            cli_env(database_url, tmp_path),
        )
        assert result.returncode == 2
        assert "not invited" in result.stderr
