"""A pool mailbox whose SMTP login is refused while it sends warmup mail goes to connection error (EAUTH,
with the server's reply, as the campaign sender does), and its claimed messages are given back unsent."""

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import update

from coldsend.db.session import session_scope
from coldsend.models import WarmupMessage, WarmupState
from tests.conftest import Tenant
from tests.warmup.mail_system import MailSystem, mail_system  # noqa: F401 (fixture)
from tests.warmup.world import enable_warmup, make_world, pool_account, provider_dns, warmup_rows

POOL = ["rae@alpha.test", "ros@beta.test"]  # addresses of no other test: the database is shared
REFUSED = "rae@alpha.test"


async def test_refused_login_puts_the_sender_in_connection_error(
    app: FastAPI,
    tenant: Tenant,
    mail_system: MailSystem,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    system = mail_system
    for email in POOL:
        await pool_account(
            tenant, system, email, warmup={"limit": 3, "increment": "disabled", "reply_rate": 0}
        )
    await enable_warmup(app, tenant, POOL, database_url, tmp_path)
    system.sink.users[REFUSED] = "another password"
    with provider_dns() as dns:
        world = make_world(app, dns)
        try:
            assert await world.warmup.plan() > 0
            async with session_scope(app.state.sessionmaker) as session:
                await session.execute(
                    update(WarmupMessage)
                    .where(WarmupMessage.sender_email == REFUSED)
                    .values(due_at=world.engine.clock.now())
                )
            await world.warmup.sender.send_due()
        finally:
            await world.close()

    account = (await tenant.client.get(f"/api/v2/accounts/{REFUSED}")).json()
    assert account["status"] == -1
    assert account["status_message"]["code"] == "EAUTH"
    assert account["status_message"]["command"] == "AUTH"
    assert "SMTP login refused" in account["status_message"]["e_message"]
    rows = await warmup_rows(app, {REFUSED})
    assert rows
    assert {(row.state, row.lease_owner, row.sent_at) for row in rows} == {(WarmupState.PLANNED, None, None)}
    assert not [item for item in system.sink.received if item.mail_from == REFUSED]
