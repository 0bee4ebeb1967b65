"""Open pixel, click redirect and unsubscribe, over HTTP without an API key, on the real app and database.

Campaign and leads come from the API; the `send` rows the tokens name are inserted with the ORM,
as the sender would have written them.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select, update

from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.models import Event, EventType, Send, SendState, Workspace
from coldsend.tracking import tokens
from tests.conftest import OverrideSettings, Tenant

NOT_FOUND = {"statusCode": 404, "error": "Not Found"}
SCHEDULE = {
    "schedules": [
        {
            "name": "Always",
            "timing": {"from": "00:00", "to": "23:59"},
            "days": {str(day): True for day in range(7)},
            "timezone": "America/Chicago",
        }
    ]
}
STEPS = [
    {
        "type": "email",
        "delay": 1,
        "variants": [{"subject": "Hi", "body": "One"}, {"subject": "Yo", "body": "1"}],
    },
    {"type": "email", "delay": 1, "variants": [{"subject": "Re: Hi", "body": "Two"}]},
    {"type": "email", "delay": 1, "variants": [{"subject": "Re: Hi", "body": "Three"}]},
]
LANDING = "https://example.com/landing page?q=1&lang=fr-ü#top"
LANDING_LOCATION = "https://example.com/landing%20page?q=1&lang=fr-%C3%BC#top"  # Location is ASCII


@dataclass
class Setup:
    tenant: Tenant
    campaign_id: str
    lead_id: str
    other_lead_id: str
    sent: uuid.UUID  # step 0, variant 1, already sent
    scheduled: uuid.UUID  # step 1, not yet sent
    retrying: uuid.UUID  # step 2, waiting for a retry
    other_lead_scheduled: uuid.UUID


async def add_send(
    app: FastAPI, tenant: Tenant, campaign_id: str, lead_id: str, step: int, state: str, variant: int = 0
) -> uuid.UUID:
    async with session_scope(app.state.sessionmaker) as session:
        send = Send(
            workspace_id=tenant.workspace_id,
            campaign_id=uuid.UUID(campaign_id),
            sequence_id=uuid.UUID(campaign_id),
            lead_id=uuid.UUID(lead_id),
            step=step,
            variant=variant,
            account_email="bob@sender.example",
            message_id=f"<{uuid.uuid4().hex}@sender.example>",
            state=state,
            due_at=datetime.now(UTC),
            sent_at=datetime.now(UTC) if state == SendState.SENT else None,
        )
        session.add(send)
        await session.flush()
        return send.id


@pytest.fixture
async def setup(app: FastAPI, tenant: Tenant) -> Setup:
    response = await tenant.client.post(
        "/api/v2/campaigns",
        json={"name": "Tracking", "campaign_schedule": SCHEDULE, "sequences": [{"steps": STEPS}]},
    )
    assert response.status_code == 200, response.text
    campaign_id = response.json()["id"]
    lead_ids = []
    for email in ("Ada@Lovelace.example", "grace@hopper.example"):
        response = await tenant.client.post(
            "/api/v2/leads", json={"campaign": campaign_id, "email": email, "first_name": "A"}
        )
        assert response.status_code == 200, response.text
        lead_ids.append(response.json()["id"])
    lead_id, other_lead_id = lead_ids
    return Setup(
        tenant=tenant,
        campaign_id=campaign_id,
        lead_id=lead_id,
        other_lead_id=other_lead_id,
        sent=await add_send(app, tenant, campaign_id, lead_id, 0, SendState.SENT, variant=1),
        scheduled=await add_send(app, tenant, campaign_id, lead_id, 1, SendState.SCHEDULED),
        retrying=await add_send(app, tenant, campaign_id, lead_id, 2, SendState.RETRY),
        other_lead_scheduled=await add_send(app, tenant, campaign_id, other_lead_id, 1, SendState.SCHEDULED),
    )


def settings(app: FastAPI) -> Settings:
    value: Settings = app.state.settings
    return value


def local(url: str) -> str:
    """The path and query of a tracking URL, to request from the ASGI app."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def events(app: FastAPI, lead_id: str) -> list[Event]:
    async with session_scope(app.state.sessionmaker) as session:
        rows = await session.scalars(
            select(Event).where(Event.lead_id == uuid.UUID(lead_id)).order_by(Event.type, Event.step)
        )
        return list(rows)


async def send_states(app: FastAPI, *send_ids: uuid.UUID) -> list[str]:
    async with session_scope(app.state.sessionmaker) as session:
        return [(await session.get_one(Send, send_id)).state for send_id in send_ids]


async def get_lead(setup: Setup, lead_id: str | None = None) -> dict[str, Any]:
    response = await setup.tenant.client.get(f"/api/v2/leads/{lead_id or setup.lead_id}")
    assert response.status_code == 200, response.text
    lead: dict[str, Any] = response.json()
    return lead


async def blocked_values(setup: Setup) -> list[str]:
    response = await setup.tenant.client.get("/api/v2/block-lists-entries", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [entry["bl_value"] for entry in response.json()["items"]]


def forged_variants(url: str) -> list[str]:
    """The URL with its tag altered in several ways, and with the send id changed under the same tag."""
    path = local(url)
    prefix, _, rest = path.rpartition("/")
    token, _, query = rest.partition("?")
    send_hex, _, tag = token.partition(".")
    suffix = f"?{query}" if query else ""
    flipped = ("A" if tag[0] != "A" else "B") + tag[1:]
    other_send = uuid.uuid4().hex
    return [
        f"{prefix}/{send_hex}.{flipped}{suffix}",
        f"{prefix}/{send_hex}.{tag[:-1]}{suffix}",
        f"{prefix}/{send_hex}{suffix}",
        f"{prefix}/{other_send}.{tag}{suffix}",
        f"{prefix}/{send_hex}.{tag}x{suffix}",
    ]


GARBAGE_TOKENS = ["x", ".", "a.b", "%00", "ü.ü", "0" * 32 + "." + "A" * 22, "g" * 32 + ".abc", "1" * 5000]


class TestTokens:
    def test_urls_live_under_the_public_url(self, app: FastAPI) -> None:
        send_id = uuid.uuid4()
        assert tokens.open_url(settings(app), send_id).startswith("http://127.0.0.1:8000/t/open/")
        assert tokens.unsubscribe_url(settings(app), send_id).startswith(
            "http://127.0.0.1:8000/t/unsubscribe/"
        )
        custom = tokens.click_url(settings(app), send_id, LANDING, base_url="https://track.sender.example/")
        assert custom.startswith("https://track.sender.example/t/click/")

    def test_public_url_setting(self) -> None:
        assert (
            Settings(public_url="https://mail.example.com/").effective_public_url()
            == "https://mail.example.com"
        )
        assert Settings(host="0.0.0.0", port=9000).effective_public_url() == "http://0.0.0.0:9000"
        with pytest.raises(ValidationError, match="public_url"):
            Settings(public_url="mail.example.com")

    def test_tags_depend_on_purpose_send_target_and_key(self, app: FastAPI) -> None:
        send_id = uuid.uuid4()
        key = settings(app)
        other_key = Settings(secret_key="another-secret")
        opened = tokens.make_token(key, tokens.Purpose.OPEN, send_id)
        assert tokens.verify_token(key, tokens.Purpose.OPEN, opened) == send_id
        assert tokens.verify_token(key, tokens.Purpose.UNSUBSCRIBE, opened) is None
        assert tokens.verify_token(other_key, tokens.Purpose.OPEN, opened) is None
        clicked = tokens.make_token(key, tokens.Purpose.CLICK, send_id, "https://a.example")
        assert tokens.verify_token(key, tokens.Purpose.CLICK, clicked, "https://a.example") == send_id
        assert tokens.verify_token(key, tokens.Purpose.CLICK, clicked, "https://a.example/") is None
        assert send_id.hex not in tokens.make_token(key, tokens.Purpose.OPEN, send_id).split(".")[1]


class TestOpen:
    async def test_pixel_records_one_event_per_step_and_counts_repeats(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient, override_settings: OverrideSettings
    ) -> None:
        override_settings(tracking_repeat_seconds=0)  # every repeat counts (tests/security: the throttle)
        url = local(tokens.open_url(settings(app), setup.sent))
        for _ in range(3):
            response = await anonymous.get(url)
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/gif"
            assert response.content.startswith(b"GIF89a")
            assert "no-store" in response.headers["cache-control"]

        (event,) = await events(app, setup.lead_id)
        assert (event.type, event.step, event.variant, event.count) == (EventType.OPENED, 0, 1, 3)
        assert event.campaign_id == uuid.UUID(setup.campaign_id)
        assert event.sequence_id == uuid.UUID(setup.campaign_id)
        assert event.account_email == "bob@sender.example"
        lead = await get_lead(setup)
        assert lead["email_open_count"] == 3
        assert (lead["email_opened_step"], lead["email_opened_variant"]) == (0, 1)
        assert lead["timestamp_last_open"] is not None
        assert lead["status"] == 1

    async def test_opens_of_two_steps_are_two_events(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        for send_id in (setup.sent, setup.scheduled):
            assert (await anonymous.get(local(tokens.open_url(settings(app), send_id)))).status_code == 200
        assert [(e.type, e.step, e.count) for e in await events(app, setup.lead_id)] == [
            (EventType.OPENED, 0, 1),
            (EventType.OPENED, 1, 1),
        ]
        lead = await get_lead(setup)
        assert (lead["email_open_count"], lead["email_opened_step"], lead["email_opened_variant"]) == (
            2,
            1,
            0,
        )

    async def test_forged_tokens_are_404_and_record_nothing(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        url = tokens.open_url(settings(app), setup.sent)
        unsubscribe_token = tokens.unsubscribe_url(settings(app), setup.sent).rpartition("/")[2]
        paths = [
            *forged_variants(url),
            *(f"{tokens.OPEN_PATH}/{token}" for token in GARBAGE_TOKENS),
            f"{tokens.OPEN_PATH}/{unsubscribe_token}",
            local(tokens.open_url(settings(app), uuid.uuid4())),  # well signed, but no such send
            local(tokens.open_url(Settings(secret_key="another-secret"), setup.sent)),
        ]
        for path in paths:
            response = await anonymous.get(path)
            assert response.status_code == 404, (path, response.text)
            assert response.json().items() >= NOT_FOUND.items()
        assert await events(app, setup.lead_id) == []
        assert (await get_lead(setup))["email_open_count"] == 0


class TestClick:
    async def test_redirects_to_the_signed_url_and_records(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient, override_settings: OverrideSettings
    ) -> None:
        override_settings(tracking_repeat_seconds=0)  # every repeat counts (tests/security: the throttle)
        url = local(tokens.click_url(settings(app), setup.sent, LANDING))
        for _ in range(2):
            response = await anonymous.get(url)
            assert response.status_code == 302
            assert response.headers["location"] == LANDING_LOCATION

        (event,) = await events(app, setup.lead_id)
        assert (event.type, event.step, event.variant, event.count, event.detail) == (
            EventType.CLICKED,
            0,
            1,
            2,
            LANDING,
        )
        lead = await get_lead(setup)
        assert lead["email_click_count"] == 2
        assert (lead["email_clicked_step"], lead["email_clicked_variant"]) == (0, 1)
        assert lead["timestamp_last_click"] is not None

    async def test_never_redirects_anywhere_unsigned(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        url = tokens.click_url(settings(app), setup.sent, "https://example.com/a")
        path, _, _query = local(url).partition("?")
        tampered = [
            f"{path}?url=https%3A%2F%2Fevil.example%2F",
            f"{path}?url=https%3A%2F%2Fexample.com%2Fa%2F",
            f"{path}?url=https%3A%2F%2Fexample.com%2Fa&url=https%3A%2F%2Fevil.example",
            path,
            f"{path}?url=",
            *forged_variants(url),
            *(f"{tokens.CLICK_PATH}/{token}?url=https%3A%2F%2Fexample.com%2Fa" for token in GARBAGE_TOKENS),
            local(tokens.click_url(settings(app), setup.sent, "javascript:alert(1)")),
            local(tokens.click_url(settings(app), setup.sent, "https://x.example/" + "a" * 9000)),
        ]
        for candidate in tampered:
            response = await anonymous.get(candidate)
            assert response.status_code == 404, (candidate, response.text)
            assert "location" not in response.headers
        assert await events(app, setup.lead_id) == []

    async def test_a_deleted_leads_link_still_redirects(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        url = local(tokens.click_url(settings(app), setup.sent, "https://example.com/a"))
        response = await setup.tenant.client.delete(f"/api/v2/leads/{setup.lead_id}")
        assert response.status_code == 200, response.text
        async with session_scope(app.state.sessionmaker) as session:
            assert await session.get(Send, setup.sent) is None
        response = await anonymous.get(url)
        assert response.status_code == 302
        assert response.headers["location"] == "https://example.com/a"


class TestUnsubscribe:
    async def test_get_shows_a_form_and_changes_nothing(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        response = await anonymous.get(local(tokens.unsubscribe_url(settings(app), setup.sent)))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert '<form method="post">' in response.text
        assert "ada@lovelace.example" in response.text
        assert await events(app, setup.lead_id) == []
        assert (await get_lead(setup))["status"] == 1
        assert await send_states(app, setup.scheduled, setup.retrying) == [
            SendState.SCHEDULED,
            SendState.RETRY,
        ]

    async def test_one_click_post_stops_the_lead(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        url = local(tokens.unsubscribe_url(settings(app), setup.sent))
        response = await anonymous.post(
            url,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200, response.text
        assert "unsubscribed" in response.text

        (event,) = await events(app, setup.lead_id)
        assert (event.type, event.step, event.variant, event.count) == (EventType.UNSUBSCRIBED, 0, 1, 1)
        assert (await get_lead(setup))["status"] == -2
        assert await blocked_values(setup) == ["ada@lovelace.example"]  # add_unsub_to_block unset: block
        assert await send_states(
            app, setup.sent, setup.scheduled, setup.retrying, setup.other_lead_scheduled
        ) == [
            SendState.SENT,
            SendState.CANCELLED,
            SendState.CANCELLED,
            SendState.SCHEDULED,
        ]
        assert (await get_lead(setup, setup.other_lead_id))["status"] == 1

    async def test_form_post_twice_is_one_unsubscribe(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        url = local(tokens.unsubscribe_url(settings(app), setup.scheduled))
        for _ in range(2):
            response = await anonymous.post(url, files={"List-Unsubscribe": (None, "One-Click")})
            assert response.status_code == 200, response.text
        (event,) = await events(app, setup.lead_id)
        assert (event.type, event.step, event.count) == (EventType.UNSUBSCRIBED, 1, 2)
        assert await blocked_values(setup) == ["ada@lovelace.example"]
        assert await send_states(app, setup.scheduled, setup.retrying) == [
            SendState.CANCELLED,
            SendState.CANCELLED,
        ]

    async def test_no_block_list_entry_when_the_workspace_says_not_to(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        # The spec's PATCH /workspaces/current cannot set it: an operator's choice, made in the database.
        async with session_scope(app.state.sessionmaker) as session:
            mine = Workspace.id == setup.tenant.workspace_id
            await session.execute(update(Workspace).where(mine).values(add_unsub_to_block=False))
        url = local(tokens.unsubscribe_url(settings(app), setup.sent))
        response = await anonymous.post(url, content=b"List-Unsubscribe=One-Click")
        assert response.status_code == 200, response.text
        assert (await get_lead(setup))["status"] == -2
        assert await blocked_values(setup) == []

    async def test_forged_tokens_are_404_and_change_nothing(
        self, app: FastAPI, setup: Setup, anonymous: httpx.AsyncClient
    ) -> None:
        url = tokens.unsubscribe_url(settings(app), setup.sent)
        open_token = tokens.open_url(settings(app), setup.sent).rpartition("/")[2]
        paths = [
            *forged_variants(url),
            *(f"{tokens.UNSUBSCRIBE_PATH}/{token}" for token in GARBAGE_TOKENS),
            f"{tokens.UNSUBSCRIBE_PATH}/{open_token}",
        ]
        for path in paths:
            for method in ("GET", "POST"):
                response = await anonymous.request(method, path, content=b"List-Unsubscribe=One-Click")
                assert response.status_code == 404, (method, path, response.text)
                assert response.json().items() >= NOT_FOUND.items()
        assert await events(app, setup.lead_id) == []
        assert (await get_lead(setup))["status"] == 1
        assert await blocked_values(setup) == []
        assert await send_states(app, setup.scheduled) == [SendState.SCHEDULED]


class TestNotInTheApi:
    async def test_tracking_routes_are_not_spec_operations(self, anonymous: httpx.AsyncClient) -> None:
        paths = (await anonymous.get("/openapi.json")).json()["paths"]
        assert not [path for path in paths if path.startswith("/t/")]

    async def test_an_api_key_is_not_needed_nor_used(self, app: FastAPI, setup: Setup) -> None:
        response = await setup.tenant.client.get(local(tokens.open_url(settings(app), setup.sent)))
        assert response.status_code == 200
