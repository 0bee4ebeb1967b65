"""One constructed history over three days (2026-11-02..04, UTC), the same for analytics and email tests.

Campaign A ("Alpha", pl_value 100, two steps, variants A/B on step 0), leads l1..l6; campaign B ("Beta"),
lead m1; subsequences S1 (with mail) and S2 (none) under A; accounts alice@ (a1) and bob@ (a2):

  Nov 2  A step 0: l1 v0 a1, l2 v1 a2, l3 v0 a1, l4 v1 a2 · B step 0: m1 v0 a1
         opened A l1 s0 x3, clicked A l1 s0 x2, auto-reply A l4 s0, opened B m1 s0
  Nov 3  A step 0: l5 v0 a1 · bounced A l6 s0 v1 a2 (never delivered) · A step 1: l1 a1, l2 a2
         opened A l2 s0, l1 s1 x2, l5 s0 · clicked A l3 s0 · replied A l2 s0 x2 (+ the reply email)
  Nov 4  unsubscribed A l3 s0 · A step 1: l3 a1 · S1 step 0: l2 a1, opened
  Leads: l4 completed; l2 interested (Nov 3, replied to step 0 variant 1); l1 won (Nov 4); l5 not interested.

Another workspace has a campaign with one lead, sent and opened on Nov 3.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from fastapi import FastAPI

from coldsend.models.event import EventType
from tests.analytics.history import History, at, history_campaign, set_lead
from tests.conftest import MakeTenant, Tenant
from tests.factories import add_leads, create_offline_account, create_subsequence, create_tenant, id_of

A1 = "alice@sender.test"
A2 = "bob@sender.test"
OTHER_ACCOUNT = "carol@other.test"


@dataclass
class World:
    tenant: Tenant
    other: Tenant
    alpha: uuid.UUID
    beta: uuid.UUID
    other_campaign: uuid.UUID
    warm: uuid.UUID
    cold: uuid.UUID
    other_subsequence: uuid.UUID
    leads: dict[str, uuid.UUID]
    history: History
    emails: list[uuid.UUID] = field(default_factory=list)  # this workspace's Email rows, in creation order
    other_email: uuid.UUID | None = None
    reply: uuid.UUID | None = None


async def build_world(app: FastAPI, make_tenant: MakeTenant) -> World:
    tenant, other = await make_tenant(), await make_tenant()
    await create_offline_account(tenant, A1)
    await create_offline_account(tenant, A2)
    await create_offline_account(other, OTHER_ACCOUNT)
    alpha = await history_campaign(tenant, "Alpha", [A1, A2], pl_value=100)
    beta = await history_campaign(tenant, "Beta", [A1])
    other_campaign = await history_campaign(other, "Other", [OTHER_ACCOUNT], pl_value=50)
    leads = await add_leads(tenant, alpha, [f"l{n}@lead.test" for n in range(1, 7)])
    leads |= await add_leads(tenant, beta, ["m1@lead.test"])
    other_leads = await add_leads(other, other_campaign, ["x1@lead.test"])
    warm = id_of(await create_subsequence(tenant, alpha, "Warm"))
    cold = id_of(await create_subsequence(tenant, alpha, "Cold"))
    other_subsequence = id_of(await create_subsequence(other, other_campaign, "Other follow-up"))

    history = History(app, tenant.workspace_id)
    world = World(tenant, other, alpha, beta, other_campaign, warm, cold, other_subsequence, leads, history)

    def lead(name: str) -> uuid.UUID:
        return leads[f"{name}@lead.test"]

    async def sent(
        campaign: uuid.UUID, name: str, step: int, variant: int, account: str, when: datetime,
        subsequence_id: uuid.UUID | None = None,
    ) -> None:  # fmt: skip
        email_id = await history.sent(
            campaign_id=campaign, lead_id=lead(name), lead_email=f"{name}@lead.test", step=step,
            variant=variant, account=account, when=when, subsequence_id=subsequence_id,
        )  # fmt: skip
        world.emails.append(email_id)

    async def event(
        kind: str, campaign: uuid.UUID, name: str, step: int, variant: int, account: str, when: datetime,
        count: int = 1, subsequence_id: uuid.UUID | None = None,
    ) -> None:  # fmt: skip
        await history.event(
            kind, campaign_id=campaign, lead_id=lead(name), step=step, variant=variant, account=account,
            when=when, count=count, subsequence_id=subsequence_id,
        )  # fmt: skip

    # Nov 2
    await sent(alpha, "l1", 0, 0, A1, at(2, 10))
    await sent(alpha, "l2", 0, 1, A2, at(2, 10, 5))
    await sent(alpha, "l3", 0, 0, A1, at(2, 10, 10))
    await sent(alpha, "l4", 0, 1, A2, at(2, 10, 15))
    await sent(beta, "m1", 0, 0, A1, at(2, 11))
    await event(EventType.AUTO_REPLIED, alpha, "l4", 0, 1, A2, at(2, 11))
    await event(EventType.OPENED, beta, "m1", 0, 0, A1, at(2, 12))
    await event(EventType.OPENED, alpha, "l1", 0, 0, A1, at(2, 15), count=3)
    await event(EventType.CLICKED, alpha, "l1", 0, 0, A1, at(2, 16), count=2)
    # Nov 3
    await event(EventType.OPENED, alpha, "l2", 0, 1, A2, at(3, 9))
    await sent(alpha, "l5", 0, 0, A1, at(3, 9))
    await event(EventType.BOUNCED, alpha, "l6", 0, 1, A2, at(3, 9, 30))
    await sent(alpha, "l1", 1, 0, A1, at(3, 10))
    await sent(alpha, "l2", 1, 0, A2, at(3, 10, 5))
    await event(EventType.OPENED, alpha, "l1", 1, 0, A1, at(3, 12), count=2)
    await event(EventType.OPENED, alpha, "l5", 0, 0, A1, at(3, 13))
    await event(EventType.REPLIED, alpha, "l2", 0, 1, A2, at(3, 13), count=2)
    world.reply = await history.received(
        campaign_id=alpha, lead_id=lead("l2"), lead_email="l2@lead.test", account=A2, when=at(3, 13)
    )
    world.emails.append(world.reply)
    await event(EventType.CLICKED, alpha, "l3", 0, 0, A1, at(3, 14))
    # Nov 4
    await event(EventType.UNSUBSCRIBED, alpha, "l3", 0, 0, A1, at(4, 8))
    await sent(alpha, "l3", 1, 0, A1, at(4, 10))
    await sent(alpha, "l2", 0, 0, A1, at(4, 11), subsequence_id=warm)
    await event(EventType.OPENED, alpha, "l2", 0, 0, A1, at(4, 12), subsequence_id=warm)

    await set_lead(app, lead("l4"), status=3)
    await set_lead(
        app,
        lead("l2"),
        lt_interest_status=1,
        timestamp_last_interest_change=at(3, 14),
        email_replied_step=0,
        email_replied_variant=1,
    )
    await set_lead(app, lead("l1"), lt_interest_status=4, timestamp_last_interest_change=at(4, 9))
    await set_lead(app, lead("l5"), lt_interest_status=-1, timestamp_last_interest_change=at(3, 20))

    elsewhere = History(app, other.workspace_id)
    x1 = other_leads["x1@lead.test"]
    world.other_email = await elsewhere.sent(
        campaign_id=other_campaign, lead_id=x1, lead_email="x1@lead.test", step=0, variant=0,
        account=OTHER_ACCOUNT, when=at(3, 10),
    )  # fmt: skip
    await elsewhere.event(
        EventType.OPENED, campaign_id=other_campaign, lead_id=x1, step=0, variant=0,
        account=OTHER_ACCOUNT, when=at(3, 11),
    )  # fmt: skip
    await set_lead(app, x1, lt_interest_status=1, timestamp_last_interest_change=at(3, 12))
    return world


@pytest.fixture(scope="module")
async def world(app: FastAPI) -> AsyncIterator[World]:
    """The history above, built once per test module (tests that read it must not change it)."""
    tenants: list[Tenant] = []

    async def make(scopes: list[str] | None = None) -> Tenant:
        tenants.append(await create_tenant(app, name=f"Analytics {uuid.uuid4().hex[:6]}", scopes=scopes))
        return tenants[-1]

    yield await build_world(app, make)
    for tenant in tenants:
        await tenant.client.aclose()
