"""A local mail system on loopback for the warmup tests: an SMTP server (the aiosmtpd sink of
tests/smtp_sink.py, taking the accounts' logins) that delivers each accepted message for a mailbox it
hosts into Dovecot over LMTP, as a mail server's delivery agent does; Dovecot's Sieve (Debian's
dovecot-sieve) files a chosen share of it into Junk, the folder with the `\\Junk` special-use flag.

`MailSystem.start(spam_from=...)`: messages whose From contains one of `spam_from` land in Junk. Mail for
addresses it does not host (campaign leads) is only recorded by the sink. `folder(login, name)` reads a
folder's messages back over IMAP. When Dovecot's LMTP server or the Sieve plugin is missing, the fixture
installs `dovecot-lmtpd` and `dovecot-sieve` with apt-get, as tests/imap_server.py installs Dovecot.
"""

import os
import shutil
import smtplib
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from coldsend.mail.imap import ImapEndpoint, Mailbox
from tests.debian import ensure_packages
from tests.imap_server import Dovecot, _free_port, directory_for_dovecot
from tests.smtp_sink import Received, SmtpSink

PASSWORD = "secret"
LMTP_BINARY = Path("/usr/lib/dovecot/lmtp")
SIEVE_PLUGIN = Path("/usr/lib/dovecot/modules/lib90_sieve_plugin.so")
PACKAGES = ("dovecot-lmtpd", "dovecot-sieve")

EXTRA_CONFIG = """
postmaster_address = postmaster@localhost
lda_mailbox_autocreate = yes
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve_before = {dir}/spam.sieve
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
}}
"""


def ensure_lmtp_and_sieve() -> None:
    ensure_packages(PACKAGES, lambda: LMTP_BINARY.exists() and SIEVE_PLUGIN.exists(), "the warmup tests")


class DeliveringDovecot(Dovecot):
    """The test Dovecot, also serving LMTP, with a Sieve script run before every delivery: one filing
    mail from `spam_from` into Junk, or the `script` given."""

    def __init__(self, directory: Path, spam_from: tuple[str, ...], script: str | None = None) -> None:
        self.spam_from = spam_from
        self.script = script
        super().__init__(directory)

    def _write_files(self) -> None:
        self.lmtp_port = _free_port()
        super()._write_files()
        config = self.directory / "dovecot.conf"
        text = config.read_text().replace("protocols = imap\n", "protocols = imap lmtp\n")
        extra = EXTRA_CONFIG.format(host=self.host, lmtp_port=self.lmtp_port, dir=self.directory)
        config.write_text(text + extra)
        tests = " ".join(f'"{sender}"' for sender in self.spam_from) or '"no-such-sender.invalid"'
        script = self.directory / "spam.sieve"
        rule = f'if header :contains "From" [{tests}] {{\n  fileinto "Junk";\n  stop;\n}}\n'
        script.write_text(self.script or 'require ["fileinto"];\n' + rule)
        if self.as_root:
            for path in (config, script):
                os.chown(path, self.uid, self.gid)


class MailSystem:
    def __init__(self, spam_from: tuple[str, ...], *, script: str | None = None) -> None:
        ensure_lmtp_and_sieve()
        self.directory = directory_for_dovecot()
        self.dovecot = DeliveringDovecot(self.directory, spam_from, script)
        self.dovecot.start()
        self.hosted: set[str] = set()
        self.delivered: list[Received] = []
        self.sink = SmtpSink(users={}).start()
        self.sink.state.on_accept = self._deliver

    def add_mailbox(self, address: str) -> None:
        self.dovecot.add_user(address, PASSWORD)
        self.hosted.add(address)

    def _deliver(self, received: Received) -> None:
        """Runs in the SMTP server's thread, under its lock: hosted recipients get the message by LMTP."""
        local = [address for address in received.rcpt_tos if address.lower() in self.hosted]
        if not local:
            return
        with smtplib.LMTP(self.dovecot.host, self.dovecot.lmtp_port, timeout=10) as lmtp:
            refused = lmtp.sendmail(received.mail_from, local, received.raw)
        assert not refused, refused
        self.delivered.append(received)

    def endpoint(self, login: str) -> ImapEndpoint:
        return ImapEndpoint(
            host=self.dovecot.host,
            port=self.dovecot.port,
            username=login,
            password=PASSWORD,
            security="cleartext",
        )

    async def folder(self, login: str, name: str) -> list[EmailMessage]:
        """The messages of one folder of a mailbox (none if the folder does not exist)."""
        async with Mailbox(self.endpoint(login)) as mailbox:
            if name not in {folder.name for folder in await mailbox.folders()}:
                return []
            await mailbox.select(name)
            uids = await mailbox.search("ALL")
            raws = [item.raw async for item in mailbox.fetch(uids, max_bytes=10_000_000)]
        found = []
        for raw in raws:
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found

    def stop(self) -> None:
        self.sink.stop()
        self.dovecot.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def mail_system() -> Iterator[MailSystem]:
    """Mail from the gamma.test domain lands in Junk; everything else in the INBOX."""
    system = MailSystem(spam_from=("@gamma.test",))
    try:
        yield system
    finally:
        system.stop()
