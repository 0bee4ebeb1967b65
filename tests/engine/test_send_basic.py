"""The smallest campaign through the whole engine: two leads, two steps, one account."""

from datetime import timedelta
from email.message import EmailMessage

from fastapi import FastAPI

from tests.conftest import Tenant
from tests.engine.sending import (
    activate,
    add_leads,
    campaign_status,
    create_account,
    create_campaign,
    leads_of,
    make_engine,
    plain_text,
    schedule,
    step,
)
from tests.smtp_sink import SmtpSink


async def test_two_steps_thread_and_complete(app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink) -> None:
    await create_account(tenant, smtp_sink, "alice@sender.test", daily_limit=100, sending_gap=0)
    campaign = await create_campaign(
        tenant,
        campaign_schedule=schedule(),
        sequences=[
            {
                "steps": [
                    step(
                        "Hi {{firstName}}, about {{companyName}}",
                        "Hello {{firstName}}",
                        delay=2,
                        unit="hours",
                    ),
                    step("Following up, {{firstName}}", ""),
                ]
            }
        ],
        email_list=["alice@sender.test"],
        insert_unsubscribe_header=True,
    )
    await add_leads(
        tenant,
        campaign["id"],
        [
            {"email": "ann@lead.test", "first_name": "Ann", "company_name": "Acme"},
            {"email": "bob@lead.test", "first_name": "Bob"},
        ],
    )
    await activate(tenant, campaign["id"])
    engine = make_engine(app)
    try:
        await engine.run()
        assert sorted(item.rcpt_tos[0] for item in smtp_sink.received) == ["ann@lead.test", "bob@lead.test"]
        await engine.advance(timedelta(hours=1))
        assert len(smtp_sink.received) == 2
        await engine.advance(timedelta(hours=1, minutes=1))
        assert len(smtp_sink.received) == 4
    finally:
        await engine.close()

    by_lead: dict[str, list[EmailMessage]] = {}
    for item in smtp_sink.received:
        by_lead.setdefault(item.rcpt_tos[0], []).append(item.message)
    first, second = by_lead["ann@lead.test"]
    assert first["Subject"] == "Hello Ann"
    assert "Hi Ann, about Acme" in plain_text(first)
    assert second["Subject"] == "Re: Hello Ann"
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert second["List-Unsubscribe"].startswith("<http")
    bob_first, _ = by_lead["bob@lead.test"]
    assert "{{" not in plain_text(bob_first)

    leads = await leads_of(tenant, campaign["id"])
    assert {lead["status"] for lead in leads.values()} == {3}
    assert leads["ann@lead.test"]["last_contacted_from"] == "alice@sender.test"
    await engine.run()
    assert await campaign_status(tenant, campaign["id"]) == 3
