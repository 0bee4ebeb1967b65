"""One-time sign-in links: `coldsend user set-password EMAIL`, used once, in process (both backends)."""

import re
from pathlib import Path

from fastapi import FastAPI

from coldsend.models import MemberRole
from tests.conftest import MakeTenant, client_for
from tests.test_cli import cli_env, run
from tests.web.members import PASSWORD, add_member, csrf_in, csrf_of, new_email, post_sign_in, signed_in


class TestSetPasswordCommand:
    async def test_the_printed_link_sets_a_new_password_once(
        self, app: FastAPI, make_tenant: MakeTenant, database_url: str, tmp_path: Path
    ) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        made = run(["user", "set-password", email.upper()], cli_env(database_url, tmp_path))
        assert made.returncode == 0, made.stderr
        link = made.stdout.strip()
        path = link[link.index("/sign-in/link/") :]
        async with client_for(app) as client:
            form = await client.get(path)
            assert form.status_code == 200
            assert email in form.text
            new_password = "another long passphrase"
            short = await client.post(
                path, data={"csrf_token": csrf_in(form), "password": "short", "confirmation": "short"}
            )
            assert short.status_code == 400
            assert "10 to 1000 characters" in short.text
            body = {"csrf_token": csrf_in(form), "password": new_password, "confirmation": new_password}
            used = await client.post(path, data=body)
            assert used.status_code == 303
            assert (await client.get("/campaigns")).status_code == 200
            assert (await client.get(path)).status_code == 404  # spent
        async with client_for(app) as other:
            assert (await post_sign_in(other, email, PASSWORD)).status_code == 400
            assert (await post_sign_in(other, email, new_password)).status_code == 303

    def test_an_unknown_address_exits_2(self, database_url: str, tmp_path: Path) -> None:
        made = run(["user", "set-password", "nobody-here@example.com"], cli_env(database_url, tmp_path))
        assert made.returncode == 2
        assert made.stdout == ""
        assert "not a member" in made.stderr

    async def test_a_new_link_voids_the_earlier_one(
        self, app: FastAPI, make_tenant: MakeTenant, database_url: str, tmp_path: Path
    ) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        env = cli_env(database_url, tmp_path)
        first = run(["user", "set-password", email], env).stdout.strip()
        second = run(["user", "set-password", email], env).stdout.strip()
        async with client_for(app) as client:
            assert (await client.get(first[first.index("/sign-in/") :])).status_code == 404
            assert (await client.get(second[second.index("/sign-in/") :])).status_code == 200


class TestInvitation:
    async def test_an_admin_gets_no_link_that_sets_a_password_someone_has(
        self, app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        """The inviting admin holds the link: it must not take over the invitee's other workspaces."""
        elsewhere, mine = await make_tenant(), await make_tenant()
        person, admin = new_email("person"), new_email("admin")
        await add_member(app, elsewhere.workspace_id, person, MemberRole.ADMIN)
        await add_member(app, mine.workspace_id, admin, MemberRole.ADMIN)
        async with signed_in(app, admin) as client:
            token = await csrf_of(client)
            invited = await client.post(
                "/settings/members", data={"email": person, "role": "editor", "csrf_token": token}
            )
            assert invited.status_code == 200
            assert "has a dashboard password already" in invited.text
            assert "/sign-in/link/" not in invited.text
            fresh = new_email("fresh")
            made = await client.post(
                "/settings/members", data={"email": fresh, "role": "view", "csrf_token": token}
            )
            link = re.search(r'id="invite-link">([^<]+)<', made.text)
            assert link is not None
        async with signed_in(
            app, person
        ) as client:  # the person's password still works, and now two workspaces
            page = await client.get("/campaigns")
            assert str(mine.workspace_id) in page.text
            assert str(elsewhere.workspace_id) in page.text
