"""The IMAP client (mail/imap.py) against a real Dovecot: folders and their RFC 6154 special-use flags,
append, flags, and move both with MOVE and, on a server without it, by COPY + \\Deleted + expunge."""

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from coldsend.mail.imap import ImapEndpoint, Mailbox
from tests.imap_server import Dovecot, directory_for_dovecot

PASSWORD = "secret"
SPECIAL_USE_FOLDERS = """
namespace inbox {
  inbox = yes
  separator = /
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = create
  }
  mailbox "All Mail" {
    special_use = \\All
    auto = create
  }
  mailbox Archive {
    special_use = \\Archive
    auto = create
  }
}
"""
# What Dovecot 2.3 offers after login, less MOVE.
WITHOUT_MOVE = (
    "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS SPECIAL-USE\n"
)


class FolderDovecot(Dovecot):
    """The test Dovecot with special-use folders, and optionally more configuration."""

    extra_config = ""

    def _write_files(self) -> None:
        super()._write_files()
        with (self.directory / "dovecot.conf").open("a") as config:
            config.write(SPECIAL_USE_FOLDERS + self.extra_config)


class NoMoveDovecot(FolderDovecot):
    extra_config = WITHOUT_MOVE


@pytest.fixture(scope="module")
def servers(dovecot: Dovecot) -> Iterator[dict[str, FolderDovecot]]:
    started: list[tuple[FolderDovecot, Path]] = []
    found: dict[str, FolderDovecot] = {}
    for name, kind in (("move", FolderDovecot), ("no_move", NoMoveDovecot)):
        directory = directory_for_dovecot()
        server = kind(directory, ca=dovecot.ca)
        server.start()
        started.append((server, directory))
        found[name] = server
    try:
        yield found
    finally:
        for server, directory in started:
            server.stop()
            shutil.rmtree(directory, ignore_errors=True)


def endpoint_for(server: Dovecot) -> ImapEndpoint:
    login = f"{uuid.uuid4().hex[:12]}@example.com"
    server.add_user(login, PASSWORD)
    return ImapEndpoint(
        host=server.host, port=server.port, username=login, password=PASSWORD, security="cleartext"
    )


def message(subject: str) -> bytes:
    return (
        f"From: Lead <lead@example.org>\r\nTo: me@example.com\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\nHello\r\n"
    ).encode()


async def subjects(mailbox: Mailbox, folder: str) -> list[str]:
    await mailbox.select(folder)
    uids = await mailbox.search("ALL")
    found = [fetched.raw async for fetched in mailbox.fetch(uids, max_bytes=1_000_000)]
    headers = [line for raw in found for line in raw.splitlines() if line.startswith(b"Subject: ")]
    return sorted(line.split(b": ", 1)[1].decode() for line in headers)


async def test_folders_carry_their_special_use(servers: dict[str, FolderDovecot]) -> None:
    async with Mailbox(endpoint_for(servers["move"])) as mailbox:
        folders = {folder.name: folder.special_use for folder in await mailbox.folders()}
    assert folders == {
        "INBOX": frozenset(),
        "Junk": {"\\Junk"},
        "Sent": {"\\Sent"},
        "Trash": {"\\Trash"},
        "Drafts": {"\\Drafts"},
        "All Mail": {"\\All"},
        "Archive": {"\\Archive"},
    }


async def test_append_puts_a_message_in_a_folder_with_its_flags(servers: dict[str, FolderDovecot]) -> None:
    async with Mailbox(endpoint_for(servers["move"])) as mailbox:
        await mailbox.append(message("sent copy"), "Sent", flags=["\\Seen"])
        assert await subjects(mailbox, "Sent") == ["sent copy"]
        assert await mailbox.search("SEEN") == await mailbox.search("ALL")
        assert await subjects(mailbox, "INBOX") == []


async def test_store_flags_adds_and_removes_flags(servers: dict[str, FolderDovecot]) -> None:
    async with Mailbox(endpoint_for(servers["move"])) as mailbox:
        await mailbox.append(message("one"))
        await mailbox.append(message("two"))
        await mailbox.select("INBOX")
        [first, second] = await mailbox.search("ALL")
        await mailbox.store_flags([first], ["\\Seen", "\\Flagged"])
        assert await mailbox.search("SEEN") == [first]
        assert await mailbox.search("FLAGGED") == [first]
        await mailbox.store_flags([first], ["\\Flagged"], add=False)
        assert await mailbox.search("FLAGGED") == []
        assert await mailbox.search("UNSEEN") == [second]


@pytest.mark.parametrize("server", ["move", "no_move"])
async def test_move_takes_only_the_given_messages_to_the_folder(
    servers: dict[str, FolderDovecot], server: str
) -> None:
    async with Mailbox(endpoint_for(servers[server])) as mailbox:
        assert mailbox.has_capability("MOVE") == (server == "move")
        for subject in ("keep", "spam", "also keep"):
            await mailbox.append(message(subject))
        await mailbox.select("INBOX")
        uids = await mailbox.search("ALL")
        await mailbox.move([uids[1]], "Junk")
        assert await subjects(mailbox, "Junk") == ["spam"]
        assert await subjects(mailbox, "INBOX") == ["also keep", "keep"]
        assert await mailbox.search("DELETED") == []


async def test_the_spam_folder_is_the_junk_flagged_one(servers: dict[str, FolderDovecot]) -> None:
    async with Mailbox(endpoint_for(servers["move"])) as mailbox:
        await mailbox.ensure_folder("Spam")  # a usual name loses to the \Junk flag
        assert await mailbox.junk_folder() == "Junk"


async def test_without_the_flag_a_usual_name_is_the_spam_folder(dovecot: Dovecot) -> None:
    async with Mailbox(endpoint_for(dovecot)) as mailbox:
        assert await mailbox.junk_folder() is None
        await mailbox.ensure_folder("Spam")
        await mailbox.ensure_folder("Spam")  # already there: nothing to do
        assert [folder.name for folder in await mailbox.folders()].count("Spam") == 1
        assert await mailbox.junk_folder() == "Spam"


async def test_search_by_headers_and_reading_as_a_client(servers: dict[str, FolderDovecot]) -> None:
    tagged = message("tagged").replace(b"Subject:", b"X-Tag: abc\r\nSubject:")
    plain, other = message("by id"), message("other")
    async with Mailbox(endpoint_for(servers["move"])) as mailbox:
        for raw in (tagged, plain, other):
            await mailbox.append(raw)
        await mailbox.select("INBOX")
        [first, second, third] = await mailbox.search("ALL")
        wanted_id = plain.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
        assert await mailbox.search_headers([("X-Tag", ""), ("Message-ID", wanted_id)]) == [first, second]
        assert await mailbox.search_headers([("X-Tag", "nope")]) == []
        await mailbox.read([third])
        assert await mailbox.search("SEEN") == [third]
