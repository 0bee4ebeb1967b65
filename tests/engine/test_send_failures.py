"""Failures at the SMTP peer and in the engine: auth refused, 550, 451, 421/454 storms, restarts."""

import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.models import Event, Send
from tests.conftest import Tenant
from tests.engine.sending import Engine, campaign_status, leads_of, make_engine, sends_of, sent_at
from tests.factories import activate, add_leads, create_campaign, create_sink_account, schedule, step
from tests.smtp_sink import SmtpSink

TERMINAL = {3, -1, -2, -3}


async def start_campaign(
    tenant: Tenant, accounts: list[str], leads: int, *, steps: int = 1, **options: Any
) -> str:
    campaign = await create_campaign(
        tenant,
        campaign_schedule=schedule(),
        sequences=[
            {
                "steps": [
                    step(f"Step {n} for {{{{firstName}}}}", f"S{n}", delay=1, unit="hours")
                    for n in range(steps)
                ]
            }
        ],
        email_list=accounts,
        **options,
    )
    await add_leads(
        tenant,
        campaign["id"],
        [{"email": f"p{n}@leads.test", "first_name": f"P{n}"} for n in range(leads)],
    )
    await activate(tenant, campaign["id"])
    return str(campaign["id"])


async def account_of(tenant: Tenant, email: str) -> dict[str, Any]:
    response = await tenant.client.get(f"/api/v2/accounts/{email}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def events_of(app: FastAPI, campaign_id: str, kind: str) -> list[Event]:
    async with session_scope(app.state.sessionmaker) as session:
        rows = await session.scalars(
            select(Event).where(Event.campaign_id == uuid.UUID(campaign_id), Event.type == kind)
        )
        return list(rows)


def received_by_lead_and_step(sink: SmtpSink, sends: list[Send]) -> Counter[tuple[uuid.UUID, int]]:
    by_message = {send.message_id: send for send in sends}
    return Counter(
        (
            by_message[str(item.message["Message-ID"])].lead_id,
            by_message[str(item.message["Message-ID"])].step,
        )
        for item in sink.received
    )


async def test_auth_failure_pauses_the_account_and_the_others_carry_on(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "good@out.test", daily_limit=100, sending_gap=0)
    await create_sink_account(tenant, smtp_sink, "bad@out.test", daily_limit=100, sending_gap=0)
    smtp_sink.users["bad@out.test"] = "changed-on-the-server"
    campaign_id = await start_campaign(tenant, ["good@out.test", "bad@out.test"], 10)
    engine = make_engine(app)
    try:
        await engine.run()
    finally:
        await engine.close()
    assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == sorted(
        f"p{n}@leads.test" for n in range(10)
    )
    assert {item.login for item in smtp_sink.received} == {"good@out.test"}
    bad = await account_of(tenant, "bad@out.test")
    assert bad["status"] == -1
    assert bad["status_message"]["code"] == "EAUTH"
    assert "changed-on-the-server" not in str(bad)
    assert (await account_of(tenant, "good@out.test"))["status"] == 1
    assert {lead["status"] for lead in (await leads_of(tenant, campaign_id)).values()} == {3}


async def test_550_marks_the_lead_bounced_and_451_retries(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "one@out.test", daily_limit=100, sending_gap=0)
    smtp_sink.answer_rcpt("p1@leads.test", "550 5.1.1 User unknown")
    smtp_sink.answer_rcpt("p2@leads.test", "451 4.7.1 Greylisted, try again later", times=2)
    campaign_id = await start_campaign(tenant, ["one@out.test"], 4, steps=2)
    engine = make_engine(app)
    try:
        await engine.run()
        assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == ["p0@leads.test", "p3@leads.test"]
        await engine.advance(timedelta(seconds=61))  # the first retry is due after 60 s
        assert [item.rcpt_tos[0] for item in smtp_sink.received[2:]] == []  # refused a second time
        await engine.advance(timedelta(seconds=121))  # then after 120 s more
        assert [item.rcpt_tos[0] for item in smtp_sink.received[2:]] == ["p2@leads.test"]
        await engine.advance(timedelta(hours=2))
    finally:
        await engine.close()

    leads = await leads_of(tenant, campaign_id)
    assert leads["p1@leads.test"]["status"] == -1
    assert {leads[f"p{n}@leads.test"]["status"] for n in (0, 2, 3)} == {3}
    assert Counter(item.rcpt_tos[0] for item in smtp_sink.received) == {
        "p0@leads.test": 2,
        "p2@leads.test": 2,
        "p3@leads.test": 2,
    }
    [bounce] = await events_of(app, campaign_id, "bounced")
    assert bounce.detail is not None
    assert bounce.detail.startswith("550 5.1.1")
    sends = await sends_of(app, campaign_id)
    [greylisted] = [
        send for send in sends if send.step == 0 and send.lead_id == uuid.UUID(leads["p2@leads.test"]["id"])
    ]
    assert (greylisted.state, greylisted.attempts) == ("sent", 3)
    assert len(await events_of(app, campaign_id, "sent")) == 6
    assert await campaign_status(tenant, campaign_id) == 3


async def test_temporary_failures_on_a_fifth_of_transactions(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    for name in ("r1", "r2"):
        await create_sink_account(tenant, smtp_sink, f"{name}@out.test", daily_limit=500, sending_gap=0)
    smtp_sink.fail_fraction(0.2, stage="data", seed=7)
    smtp_sink.answer_rcpt("p5@leads.test", "454 4.7.0 Temporary authentication failure", times=1)
    campaign_id = await start_campaign(tenant, ["r1@out.test", "r2@out.test"], 30, steps=2)
    engine = make_engine(app)

    async def completed() -> bool:
        if await campaign_status(tenant, campaign_id) != 3:
            return False
        leads = await leads_of(tenant, campaign_id)
        assert {lead["status"] for lead in leads.values()} <= TERMINAL, "completed with leads still active"
        return True

    try:
        await engine.run_until(completed, step=timedelta(minutes=5), limit=timedelta(days=2))
    finally:
        await engine.close()
    assert len(smtp_sink.rejected) > 5
    sends = await sends_of(app, campaign_id)
    received = received_by_lead_and_step(smtp_sink, sends)
    assert len(smtp_sink.received) == len(set(smtp_sink.message_ids())) == 60
    assert set(received.values()) == {1}
    assert {send.state for send in sends} == {"sent"}
    assert max(send.attempts for send in sends) > 1


async def _run_day_with_restarts(engines: list[Engine]) -> None:
    for engine in engines:
        try:
            await engine.run()
            await engine.advance(timedelta(minutes=30))
        finally:
            await engine.close()


async def test_daily_limits_hold_across_restarts_and_a_dead_lease_is_resent_once(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, "lim@out.test", daily_limit=6, sending_gap=10)
    campaign_id = await start_campaign(tenant, ["lim@out.test"], 15)
    now = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(1), UTC)
    first = make_engine(app, start=now, send_lease_seconds=120)
    await first.scheduler.tick()
    [claimed] = await first.sender._claim((await sends_of(app, campaign_id))[0].account_id)  # type: ignore[arg-type]
    await first.close()  # this "worker" dies holding a lease on one send

    # New engines (as after restarts) keep going on the same day: the dead lease expires, its send goes
    # out once with the same Message-ID, and the day never exceeds the account's 6.
    engines = [make_engine(app, start=now + timedelta(minutes=n * 30)) for n in range(1, 12)]
    await _run_day_with_restarts(engines)
    sends = await sends_of(app, campaign_id)
    per_day = Counter(sent_at(item).date() for item in smtp_sink.received)
    assert list(per_day.values()) == [6]  # the limit held back the rest of the day
    assert sum(per_day.values()) == len(smtp_sink.received)
    assert len(set(smtp_sink.message_ids())) == len(smtp_sink.received)
    assert claimed.message_id in smtp_sink.message_ids()
    [recovered] = [send for send in sends if send.id == claimed.id]
    assert (recovered.state, recovered.attempts) == ("sent", 2)
    moments = sorted(sent_at(item) for item in smtp_sink.received)
    gaps = [later - earlier for earlier, later in zip(moments, moments[1:], strict=False)]
    assert min(gaps) >= timedelta(minutes=10), moments
