"""Every control of every page has a label (a `<label for>`, a wrapping `<label>`, or an aria-label), every
page links the one stylesheet and script of the package and nothing from elsewhere, and every POST of the
dashboard checks a CSRF token (in process, both backends)."""

import importlib
import pkgutil
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from coldsend.models import MemberRole
from coldsend.web import pages
from coldsend.web.context import _posted as session_form  # noqa: PLC2701 (the dependency itself)
from tests.conftest import MakeTenant
from tests.factories import add_leads, create_campaign, create_offline_account
from tests.web.members import add_member, new_email, signed_in

BEFORE_SIGN_IN = ("/sign-in", "/sign-in/link/{token}")
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open_labels = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str, bool]] = []  # (tag, id or name, labelled)
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if found.get("for"):
                self.label_for.add(str(found["for"]))
        elif tag in ("input", "select", "textarea") and found.get("type") not in UNLABELLED_TYPES:
            wrapped = self.open_labels > 0 or bool(found.get("aria-label") or found.get("aria-labelledby"))
            self.controls.append((tag, str(found.get("id") or found.get("name")), wrapped))
        elif tag in ("script", "link", "img", "iframe"):
            self.assets.append(str(found.get("src") or found.get("href") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[tuple[str, str]]:
        labelled = self.label_for
        return [(tag, name) for tag, name, wrapped in self.controls if not wrapped and name not in labelled]


class TestEveryPage:
    async def test_every_control_has_a_label(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.ADMIN)
        account = "box@labels.test"
        await create_offline_account(tenant, account)
        campaign = await create_campaign(tenant, "Labelled")
        lead_id = (await add_leads(tenant, campaign["id"], ["ada@example.org"]))["ada@example.org"]
        paths = [
            "/campaigns",
            "/campaigns/new",
            f"/campaigns/{campaign['id']}",
            "/leads",
            f"/leads/{lead_id}",
            "/leads/import",
            "/accounts",
            "/accounts/new",
            f"/accounts/{account}",
            "/unibox",
            "/analytics",
            "/deliverability",
            "/settings/api-keys",
            "/settings/members",
            "/settings/webhooks",
            "/settings/block-list",
            "/settings/tags",
        ]
        checked = 0
        async with signed_in(app, email) as client:
            for path in paths:
                page = await client.get(path)
                assert page.status_code == 200, path
                parsed = Controls()
                parsed.feed(page.text)
                assert parsed.unlabelled() == [], path
                assert sorted(parsed.assets) == ["/static/app.js", "/static/style.css"], path
                checked += len(parsed.controls)
        assert checked > 50  # the editor, the forms and the filters were all read


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


class TestEveryPost:
    async def test_every_post_checks_a_csrf_token(self, anonymous: httpx.AsyncClient) -> None:
        """Signed-in forms through the session's token (the `Form` dependency); the two forms posted
        before sign-in read theirs first thing (a double-submit cookie) and refuse a post without it."""
        routers = [
            importlib.import_module(f"{pages.__name__}.{module.name}").router
            for module in pkgutil.iter_modules(pages.__path__)
        ]
        posts = [
            route
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute) and "POST" in (route.methods or ())
        ]
        assert len(posts) > 30
        unchecked = {route.path for route in posts if session_form not in set(_calls(route.dependant))}
        assert unchecked == set(BEFORE_SIGN_IN)
        for path in BEFORE_SIGN_IN:
            form = {"csrf_token": "forged", "email": "a@example.com", "password": "p", "confirmation": "p"}
            assert (await anonymous.post(path.replace("{token}", "x"), data=form)).status_code == 403
