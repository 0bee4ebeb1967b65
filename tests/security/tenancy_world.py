"""Two workspaces for the tenancy matrix: A holds one of every resource, B (the intruder) a few of its own.

A's objects are made through A's API key, except what only the engine writes (sent and received emails),
which tests/analytics/history.py writes the way the sender and the inbox do.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from tests.analytics.history import History, history_campaign
from tests.conftest import Tenant
from tests.factories import (
    add_leads,
    add_list_leads,
    create_list,
    create_offline_account,
    create_subsequence,
    create_tenant,
    id_of,
)

# Every name A gives its objects carries this marker, so a response showing it to B is a leak.
MARKER = "zq-tenant-a"


@dataclass
class World:
    a: Tenant
    b: Tenant
    account: str
    campaign: uuid.UUID
    lead: uuid.UUID
    lead_email: str
    list_id: uuid.UUID
    listed_lead: uuid.UUID
    tag: uuid.UUID
    label: uuid.UUID
    block: uuid.UUID
    subsequence: uuid.UUID
    email: uuid.UUID
    reply: uuid.UUID
    thread: str
    job: str
    api_key: uuid.UUID
    member: uuid.UUID
    member_user: uuid.UUID
    member_email: str
    group_member: uuid.UUID
    pending_admin: Tenant
    b_account: str
    b_campaign: uuid.UUID
    b_lead: uuid.UUID
    b_subsequence: uuid.UUID
    b_tag: uuid.UUID
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def secrets(self) -> set[str]:
        """Strings of A's that B must never see in an answer (unless B sent them itself).

        Not member_user: a user is one person across workspaces, and B inviting the same address is that user.
        """
        values: set[str] = {MARKER, self.account, self.lead_email, self.member_email, self.thread, self.job}
        for value in (
            self.a.workspace_id, self.campaign, self.lead, self.list_id, self.listed_lead, self.tag,
            self.label, self.block, self.subsequence, self.email, self.reply, self.api_key, self.member,
            self.group_member,
        ):  # fmt: skip
            values.add(str(value))
        return values


async def _workspace(app: FastAPI, name: str, clients: list[httpx.AsyncClient]) -> Tenant:
    tenant = await create_tenant(app, name=name, owner_email=f"owner@{name}.test")
    clients.append(tenant.client)
    return tenant


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (response.request.url, response.text)
    return response.json()


async def build_world(app: FastAPI) -> World:
    clients: list[httpx.AsyncClient] = []
    a = await _workspace(app, MARKER, clients)
    b = await _workspace(app, "intruder", clients)
    pending_admin = await _workspace(app, "pending-admin", clients)
    ac = a.client

    account = (await create_offline_account(a, f"{MARKER}@alpha.test"))["email"]
    campaign = await history_campaign(a, f"{MARKER} campaign", [account])
    lead_email = f"{MARKER}-lead@prospect.example.com"
    lead = (await add_leads(a, campaign, [lead_email]))[lead_email]
    list_id = id_of(await create_list(a, name=f"{MARKER} list"))
    [listed_lead] = (await add_list_leads(a, list_id, [f"{MARKER}-listed@prospect.example.com"])).values()
    tag = await _ok(await ac.post("/api/v2/custom-tags", json={"label": f"{MARKER}-tag"}))
    for resource_type, resource_id in ((1, account), (2, str(campaign))):
        await _ok(
            await ac.post(
                "/api/v2/custom-tags/toggle-resource",
                json={
                    "tag_ids": [tag["id"]],
                    "resource_type": resource_type,
                    "resource_ids": [resource_id],
                    "assign": True,
                },
            )
        )
    label = await _ok(
        await ac.post(
            "/api/v2/lead-labels", json={"label": f"{MARKER} label", "interest_status_label": "positive"}
        )
    )
    block = await _ok(await ac.post("/api/v2/block-lists-entries", json={"bl_value": f"{MARKER}.test"}))
    subsequence = id_of(await create_subsequence(a, campaign, f"{MARKER} follow-up"))
    history = History(app, a.workspace_id)
    when = datetime(2026, 11, 2, 10, tzinfo=UTC)
    email = await history.sent(
        campaign_id=campaign,
        lead_id=lead,
        lead_email=lead_email,
        step=0,
        variant=0,
        account=account,
        when=when,
    )
    reply = await history.received(
        campaign_id=campaign, lead_id=lead, lead_email=lead_email, account=account, when=when
    )
    job = await _ok(await ac.post("/api/v2/accounts/warmup/enable", json={"emails": [account]}))
    api_key = await _ok(
        await ac.post("/api/v2/api-keys", json={"name": f"{MARKER} key", "scopes": ["all:read"]})
    )
    member_email = f"{MARKER}-member@alpha.example.com"
    member = await _ok(
        await ac.post("/api/v2/workspace-members", json={"email": member_email, "role": "editor"})
    )
    # A's group link: an invitation into another admin workspace's group, not (yet) accepted by A's owner.
    group_member = await _ok(
        await pending_admin.client.post(
            "/api/v2/workspace-group-members", json={"sub_workspace_id": str(a.workspace_id)}
        )
    )
    assert group_member["status"] == "pending", group_member

    b_account = (await create_offline_account(b, "intruder@beta.test"))["email"]
    b_campaign = await history_campaign(b, "Intruder campaign", [b_account])
    b_lead = (await add_leads(b, b_campaign, ["victim@prospect.test"]))["victim@prospect.test"]
    b_subsequence = id_of(await create_subsequence(b, b_campaign, "Intruder follow-up"))
    b_tag = await _ok(await b.client.post("/api/v2/custom-tags", json={"label": "intruder-tag"}))

    return World(
        a=a,
        b=b,
        account=account,
        campaign=campaign,
        lead=lead,
        lead_email=lead_email,
        list_id=list_id,
        listed_lead=listed_lead,
        tag=uuid.UUID(tag["id"]),
        label=uuid.UUID(label["id"]),
        block=uuid.UUID(block["id"]),
        subsequence=subsequence,
        email=email,
        reply=reply,
        thread=history.thread(campaign, lead),
        job=str(job["id"]),
        api_key=uuid.UUID(api_key["id"]),
        member=uuid.UUID(member["id"]),
        member_user=uuid.UUID(member["user_id"]),
        member_email=member_email,
        group_member=uuid.UUID(group_member["id"]),
        pending_admin=pending_admin,
        b_account=b_account,
        b_campaign=b_campaign,
        b_lead=b_lead,
        b_subsequence=b_subsequence,
        b_tag=uuid.UUID(b_tag["id"]),
        clients=clients,
    )


def snapshot_requests(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """A's view of each of its objects and each of its lists."""
    gets = [
        f"/api/v2/accounts/{w.account}",
        f"/api/v2/campaigns/{w.campaign}",
        f"/api/v2/leads/{w.lead}",
        f"/api/v2/leads/{w.listed_lead}",
        f"/api/v2/lead-lists/{w.list_id}",
        f"/api/v2/lead-lists/{w.list_id}/verification-stats",
        f"/api/v2/custom-tags/{w.tag}",
        f"/api/v2/lead-labels/{w.label}",
        f"/api/v2/block-lists-entries/{w.block}",
        f"/api/v2/subsequences/{w.subsequence}",
        f"/api/v2/emails/{w.email}",
        f"/api/v2/emails/{w.reply}",
        f"/api/v2/background-jobs/{w.job}",
        f"/api/v2/workspace-members/{w.member}",
        f"/api/v2/workspace-group-members/{w.group_member}",
        f"/api/v2/account-campaign-mappings/{w.account}",
        "/api/v2/accounts",
        "/api/v2/campaigns",
        "/api/v2/lead-lists",
        "/api/v2/custom-tags",
        "/api/v2/custom-tag-mappings",
        "/api/v2/lead-labels",
        "/api/v2/block-lists-entries",
        f"/api/v2/subsequences?parent_campaign={w.campaign}",
        "/api/v2/emails",
        "/api/v2/emails/unread/count",
        "/api/v2/background-jobs",
        "/api/v2/api-keys",
        "/api/v2/workspace-members",
        "/api/v2/workspace-group-members",
        "/api/v2/workspace-group-members/admin",
        "/api/v2/workspaces/current",
        "/api/v2/campaigns/count-launched",
        f"/api/v2/campaigns/analytics?id={w.campaign}",
        f"/api/v2/subsequences/analytics?campaign_id={w.campaign}",
        "/api/v2/audit-logs?limit=100",
    ]
    requests: list[tuple[str, str, dict[str, Any]]] = [("GET", path, {}) for path in gets]
    requests.append(("POST", "/api/v2/leads/list", {"json": {"limit": 100}}))
    return requests


async def snapshot(w: World) -> dict[str, Any]:
    taken: dict[str, Any] = {}
    for method, path, kwargs in snapshot_requests(w):
        response = await w.a.client.request(method, path, **kwargs)
        taken[f"{method} {path}"] = (response.status_code, response.json())
    return taken
