"""Factories that build a test's world through the real API: tenants, accounts, campaigns (with their
schedule and step helpers), leads, lead lists, subsequences and webhooks. Each asserts its call succeeded
and returns what the API answered. What only the engine writes (webhook deliveries and their log, a
placement run's copies and reports) is written through a session, as the engine writes it."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from coldsend import encryption
from coldsend.api_keys import service as api_key_service
from coldsend.clock import utcnow
from coldsend.config import Settings
from coldsend.db.session import session_scope
from coldsend.models import (
    PlacementCopy,
    PlacementReport,
    PlacementRun,
    RunState,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from coldsend.models.webhook import DeliveryState
from coldsend.webhooks import signing
from coldsend.workspaces import service as workspace_service
from tests.conftest import Tenant, client_for
from tests.security.hostile_peers import HostilePeer
from tests.smtp_sink import SmtpSink

ACCOUNTS = "/api/v2/accounts"
PASSWORD = "s3cret-Passw0rd"


def id_of(created: Mapping[str, object]) -> uuid.UUID:
    """The id of what a factory created, as a UUID."""
    return uuid.UUID(str(created["id"]))


async def create_tenant(
    app: FastAPI, *, name: str | None = None, owner_email: str | None = None, scopes: list[str] | None = None
) -> Tenant:
    """A workspace and a client holding one of its API keys (all:all unless `scopes`), for a world built
    once per module, where the `make_tenant` fixture cannot reach; the caller closes the client."""
    async with session_scope(app.state.sessionmaker) as session:
        workspace = await workspace_service.create(
            session, name=name or f"Workspace {uuid.uuid4().hex[:6]}", owner_email=owner_email
        )
        _key, secret = await api_key_service.create(
            session, workspace_id=workspace.id, name="test key", scopes=scopes or ["all:all"]
        )
    return Tenant(workspace_id=workspace.id, key=secret, client=client_for(app, secret))


def account_body(address: str, **overrides: Any) -> dict[str, Any]:
    """A valid create body for `address`: loopback ports where nothing runs, so the login check on
    create puts the account in connection error (and a health check of a leftover account stays on
    loopback). `create_account` and `ensure_accounts` point at servers that let it in instead."""
    body: dict[str, Any] = {
        "email": address,
        "first_name": "Sam",
        "last_name": "Sender",
        "provider_code": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": 587,
        "smtp_username": address,
        "smtp_password": PASSWORD,
        "imap_host": "127.0.0.1",
        "imap_port": 993,
        "imap_username": address,
        "imap_password": PASSWORD,
    }
    body.update(overrides)
    return body


_accepting: list[tuple[SmtpSink, HostilePeer]] = []


def reachable() -> dict[str, Any]:
    """Mail settings of an SMTP and an IMAP server on loopback that let any login in (plain, so
    "cleartext"), running for the test session: an account created with them is active."""
    if not _accepting:
        smtp = SmtpSink(users={}, authenticate=lambda _login, _password: True).start()
        _accepting.append((smtp, HostilePeer("plain-imap").start()))
    smtp, imap = _accepting[0]
    return {"smtp_port": smtp.port, "smtp_tls": "cleartext", "imap_port": imap.port, "imap_tls": "cleartext"}


async def create_account(tenant: Tenant, email: str, **overrides: Any) -> dict[str, Any]:
    """An active account (its logins pass on create) unless `overrides` point it elsewhere."""
    defaults = {
        name: value
        for name, value in reachable().items()
        if f"{name.partition('_')[0]}_port" not in overrides  # a test's own server keeps its own TLS mode
    }
    response = await tenant.client.post(ACCOUNTS, json=account_body(email, **defaults, **overrides))
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_offline_account(tenant: Tenant, email: str, **overrides: Any) -> dict[str, Any]:
    """An account whose mail servers do not answer (`account_body`'s ports): saved in connection error.
    For a world whose mail the test writes itself, and for many accounts at once."""
    response = await tenant.client.post(ACCOUNTS, json=account_body(email, **overrides))
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def ensure_accounts(tenant: Tenant, emails: Iterable[str]) -> None:
    """Create the accounts a campaign will name, unless the workspace has them already."""
    for email in emails:
        response = await tenant.client.post(ACCOUNTS, json=account_body(email, **reachable()))
        assert response.status_code == 200 or "already exists" in response.text, response.text


async def create_sink_account(
    tenant: Tenant, sink: SmtpSink, email: str, *, password: str = "secret", **fields: Any
) -> dict[str, Any]:
    """An account sending through `sink`, which learns its password; its IMAP login is let in."""
    sink.users[email] = password
    body = {
        "first_name": email.split("@")[0].title(),
        "smtp_password": password,
        "smtp_host": sink.host,
        "smtp_port": sink.port,
        "smtp_tls": "cleartext" if sink.tls == "none" else sink.tls,  # a plain sink: AUTH in the clear
        "imap_password": password,
        "imap_port": reachable()["imap_port"],  # logins are checked on create: one that lets it in
        "imap_tls": "cleartext",
    }
    return await create_account(tenant, email, **{**body, **fields})


WEEKDAYS = {"0": False, "1": True, "2": True, "3": True, "4": True, "5": True, "6": False}
EVERY_DAY = {str(day): True for day in range(7)}


def schedule(
    timezone: str = "Africa/Abidjan",
    start: str = "00:00",
    end: str = "23:59",
    days: dict[str, bool] | None = None,
    name: str = "Hours",
) -> dict[str, Any]:
    return {
        "schedules": [
            {
                "name": name,
                "timing": {"from": start, "to": end},
                "days": days or EVERY_DAY,
                "timezone": timezone,
            }
        ]
    }


def step(
    body: str, *subjects: str, delay: int = 1, unit: str = "days", disabled: tuple[int, ...] = ()
) -> dict[str, Any]:
    variants = [
        {"subject": subject, "body": body, **({"v_disabled": True} if index in disabled else {})}
        for index, subject in enumerate(subjects or ("",))
    ]
    return {"type": "email", "delay": delay, "delay_unit": unit, "variants": variants}


async def create_campaign(tenant: Tenant, name: str = "Campaign", **body: Any) -> dict[str, Any]:
    """A draft campaign, on `schedule()` unless `body` has a campaign_schedule; the accounts its
    email_list names are created first if the workspace lacks them (else the API would refuse it)."""
    body.setdefault("campaign_schedule", schedule())
    await ensure_accounts(tenant, body.get("email_list") or [])
    response = await tenant.client.post("/api/v2/campaigns", json={"name": name, **body})
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def activate(tenant: Tenant, campaign_id: str) -> None:
    response = await tenant.client.post(f"/api/v2/campaigns/{campaign_id}/activate")
    assert response.status_code == 200, response.text


async def add_leads(
    tenant: Tenant, campaign_id: str | uuid.UUID, leads: list[dict[str, Any]] | list[str]
) -> dict[str, uuid.UUID]:
    """Leads (bodies, or bare addresses) added to the campaign, every one uploaded; their ids by email."""
    return await _add_leads(tenant, {"campaign_id": str(campaign_id)}, leads)


async def add_list_leads(
    tenant: Tenant, list_id: str | uuid.UUID, leads: list[dict[str, Any]] | list[str]
) -> dict[str, uuid.UUID]:
    """`add_leads` into a lead list."""
    return await _add_leads(tenant, {"list_id": str(list_id)}, leads)


async def _add_leads(
    tenant: Tenant, container: dict[str, str], leads: list[dict[str, Any]] | list[str]
) -> dict[str, uuid.UUID]:
    bodies = [{"email": lead} if isinstance(lead, str) else lead for lead in leads]
    response = await tenant.client.post("/api/v2/leads/add", json={**container, "leads": bodies})
    assert response.status_code == 200, response.text
    assert response.json()["leads_uploaded"] == len(bodies), response.text
    return {lead["email"]: uuid.UUID(lead["id"]) for lead in response.json()["created_leads"]}


async def launch_campaign(
    tenant: Tenant, accounts: list[str], steps: list[dict[str, Any]], leads: list[dict[str, Any]], **body: Any
) -> str:
    """A campaign sending `steps` from `accounts` every day, with `leads`, activated; its id."""
    campaign = await create_campaign(tenant, sequences=[{"steps": steps}], email_list=accounts, **body)
    campaign_id = str(campaign["id"])
    await add_leads(tenant, campaign_id, leads)
    await activate(tenant, campaign_id)
    return campaign_id


async def create_subsequence(
    tenant: Tenant, campaign_id: str | uuid.UUID, name: str = "Follow-up", **fields: Any
) -> dict[str, Any]:
    body = {"parent_campaign": str(campaign_id), "name": name, "conditions": {"crm_status": [1]}, **fields}
    response = await tenant.client.post("/api/v2/subsequences", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def resume_subsequence(tenant: Tenant, subsequence_id: str | uuid.UUID) -> None:
    response = await tenant.client.post(f"/api/v2/subsequences/{subsequence_id}/resume")
    assert response.status_code == 200, response.text


async def create_list(tenant: Tenant, **fields: object) -> dict[str, object]:
    response = await tenant.client.post("/api/v2/lead-lists", json={"name": "My Lead List", **fields})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def create_lead_label(
    tenant: Tenant, label: str = "Hot Lead", sentiment: str = "positive"
) -> dict[str, Any]:
    response = await tenant.client.post(
        "/api/v2/lead-labels", json={"label": label, "interest_status_label": sentiment}
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


WEBHOOKS = "/api/v2/webhooks"
# tests/webhooks/conftest.py serves this name at a public address through the test DNS server.
HOOK_URL = "https://hooks.example.com/coldsend"


async def create_webhook(tenant: Tenant, **body: Any) -> dict[str, Any]:
    """A webhook of `email_sent` events posting to HOOK_URL, unless `body` says otherwise."""
    response = await tenant.client.post(
        WEBHOOKS, json={"target_hook_url": HOOK_URL, "event_type": "email_sent", **body}
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def add_webhook_delivery(
    app: FastAPI,
    webhook: dict[str, Any],
    *,
    state: str = DeliveryState.FAILED,
    created: datetime | None = None,
    **fields: Any,
) -> uuid.UUID:
    """A delivery owed to `webhook` (as the API showed it), as the dispatcher's fan-out writes one."""
    created = created or utcnow()
    values: dict[str, Any] = {
        "event_type": "email_sent",
        "payload": {"event_type": "email_sent", "workspace": webhook["organization"]},
        "attempts": 8 if state == DeliveryState.FAILED else 0,
        "next_attempt_at": created,
        **fields,
    }
    delivery = WebhookDelivery(
        workspace_id=uuid.UUID(webhook["organization"]),
        webhook_id=uuid.UUID(webhook["id"]),
        state=state,
        timestamp_created=created,
        **values,
    )
    async with session_scope(app.state.sessionmaker) as session:
        session.add(delivery)
    return delivery.id


async def add_webhook_event(
    app: FastAPI,
    webhook: dict[str, Any],
    *,
    success: bool = True,
    created: datetime | None = None,
    delivery_id: uuid.UUID | None = None,
    lead_email: str | None = None,
    **fields: Any,
) -> uuid.UUID:
    """One attempt in `webhook`'s delivery log, as the dispatcher records it."""
    values: dict[str, Any] = {
        "payload": {"event_type": "email_sent", "lead_email": lead_email},
        "retry_count": 0,
        "will_retry": not success,
        "webhook_url": webhook["target_hook_url"],
        "status_code": 200 if success else 500,
        "error_message": None if success else "HTTP 500",
        "response_time_ms": 42,
        **fields,
    }
    event = WebhookEvent(
        workspace_id=uuid.UUID(webhook["organization"]),
        webhook_id=uuid.UUID(webhook["id"]),
        delivery_id=delivery_id or uuid.uuid4(),
        timestamp_created=created or utcnow(),
        success=success,
        lead_email=lead_email,
        **values,
    )
    async with session_scope(app.state.sessionmaker) as session:
        session.add(event)
    return event.id


# Webhooks and their deliveries written through a session, for the dispatcher's own tests: a webhook at a
# loopback receiver (which the API refuses unless private targets are allowed) and deliveries queued at will.
async def insert_webhook(
    session: AsyncSession,
    settings: Settings,
    workspace_id: uuid.UUID,
    url: str,
    *,
    secret: str | None = None,
    **fields: Any,
) -> tuple[Webhook, str]:
    """An active webhook posting to `url`; with its plaintext `whsec_` secret."""
    secret = secret or signing.new_secret()
    values: dict[str, Any] = {"event_type": "all_events", "name": "Test hook", **fields}
    webhook = Webhook(
        workspace_id=workspace_id, target_hook_url=url, secret=encryption.encrypt(settings, secret), **values
    )
    session.add(webhook)
    await session.flush()
    return webhook, secret


async def queue_delivery(
    session: AsyncSession,
    webhook: Webhook,
    at: datetime,
    payload: dict[str, Any] | None = None,
    lead_email: str | None = "lead@example.com",
) -> WebhookDelivery:
    """A delivery owed to `webhook`, due at `at`, as the fan-out writes one."""
    body = payload or {
        "timestamp": at.isoformat(),
        "event_type": "email_sent",
        "workspace": str(webhook.workspace_id),
        "campaign_id": None,
        "campaign_name": None,
        "lead_email": lead_email,
    }
    queued = WebhookDelivery(
        workspace_id=webhook.workspace_id,
        webhook_id=webhook.id,
        event_type=str(body.get("event_type", "email_sent")),
        payload=body,
        lead_email=lead_email,
        next_attempt_at=at,
        timestamp_created=at,
    )
    session.add(queued)
    await session.flush()
    return queued


async def add_placement_run(
    app: FastAPI, test: dict[str, Any], copies: list[dict[str, Any]], reports: list[dict[str, Any]]
) -> uuid.UUID:
    """A finished run of the placement `test` (as the API showed it): its copies (each a dict of
    PlacementCopy fields; `recipient_email` at least) and reports, as the placement loop records them."""
    now = utcnow()
    workspace_id, test_id = uuid.UUID(test["organization_id"]), uuid.UUID(test["id"])
    async with session_scope(app.state.sessionmaker) as session:
        run = PlacementRun(
            workspace_id=workspace_id,
            test_id=test_id,
            scheduled_for=now,
            test_code=test.get("test_code"),
            state=RunState.DONE,
            finished_at=now,
        )
        session.add(run)
        await session.flush()
        for fields in copies:
            values = {"sender_email": (test["emails"] or [None])[0], "state": "sent", **fields}
            session.add(PlacementCopy(workspace_id=workspace_id, test_id=test_id, run_id=run.id, **values))
        for fields in reports:
            session.add(PlacementReport(workspace_id=workspace_id, test_id=test_id, run_id=run.id, **fields))
    return run.id
