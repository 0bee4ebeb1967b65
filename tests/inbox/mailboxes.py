"""Mailboxes on the test Dovecot for engine tests: accounts whose INBOX the inbox loop reads, and mail
delivered into it by IMAP APPEND (what a mail server delivering it would leave there)."""

from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from coldsend.engine.inbox_loop import InboxLoop
from coldsend.mail.imap import ImapEndpoint, Mailbox
from tests.conftest import Tenant
from tests.engine.sending import Engine
from tests.factories import create_sink_account
from tests.imap_server import Dovecot
from tests.smtp_sink import SmtpSink

PASSWORD = "secret"


async def deliver(dovecot: Dovecot, mailbox: str, *messages: bytes) -> None:
    """Put messages in the mailbox's INBOX, as the mail server delivering them would."""
    endpoint = ImapEndpoint(
        host=dovecot.host, port=dovecot.port, username=mailbox, password=PASSWORD, security="cleartext"
    )
    async with Mailbox(endpoint) as inbox:
        for message in messages:
            await inbox.append(message, "INBOX")


async def inbox_account(tenant: Tenant, sink: SmtpSink, dovecot: Dovecot, email: str, **fields: Any) -> None:
    dovecot.add_user(email, PASSWORD)
    await create_sink_account(
        tenant,
        sink,
        email,
        password=PASSWORD,
        sending_gap=0,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_tls="cleartext",
        **fields,
    )


def inbox_loop(app: FastAPI, engine: Engine) -> InboxLoop:
    return InboxLoop(app.state.settings, app.state.sessionmaker, engine.clock)


async def read_inboxes(app: FastAPI, engine: Engine) -> None:
    """Every mailbox read once, as in the loop's next interval (the engine's clock moved past it); the
    database holds other tests' accounts too, so that takes as many batches as the loop needs."""
    engine.clock.advance(timedelta(seconds=app.state.settings.inbox_poll_seconds + 1))
    loop = inbox_loop(app, engine)
    while await loop.poll_due():
        pass


def message_ids_by_recipient(sink: SmtpSink) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in sink.received:
        found.setdefault(item.rcpt_tos[0], []).append(str(item.message["Message-ID"]))
    return found
