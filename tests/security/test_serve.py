"""`coldsend serve` as an operator starts it: files at rest kept private, and --port reaching the links."""

import os
import re
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Tenant
from tests.factories import create_sink_account, launch_campaign, step
from tests.smtp_sink import SmtpSink
from tests.test_cli import cli_env, free_port, serving, wait_healthy
from tests.waiting import eventually

PIXEL = re.compile(r'src="([^"]*/t/open/[^"]*)"')


@dataclass
class Served:
    port: int
    data_dir: Path
    key: str


def _umask_022() -> None:
    os.umask(0o022)  # the usual default: files 0644 and directories 0755 unless the server narrows them


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`coldsend serve --port P` with the engine, on a data dir that does not exist yet, no public URL set."""
    data_dir = tmp_path / "fresh" / "coldsend-data"
    port = free_port()
    with serving(port, cli_env(None, data_dir), preexec_fn=_umask_022) as process:
        wait_healthy(port)
        assert process.stdout is not None
        yield Served(port=port, data_dir=data_dir, key=process.stdout.readline().strip())


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


class TestFilesAtRest:
    def test_data_dir_and_its_files_are_private(self, served: Served) -> None:
        response = httpx.get(
            f"http://127.0.0.1:{served.port}/api/v2/api-keys",
            headers={"Authorization": f"Bearer {served.key}"},
        )
        assert response.status_code == 200  # the database has been written through the WAL
        names = {"coldsend.db", "coldsend.db-wal", "coldsend.db-shm", "secret_key"}
        assert names <= {path.name for path in served.data_dir.iterdir()}
        modes = {name: _mode(served.data_dir / name) for name in names}
        assert (_mode(served.data_dir), modes) == ("0o700", dict.fromkeys(names, "0o600"))


class TestServePort:
    async def test_tracking_links_point_at_the_served_port(self, served: Served, smtp_sink: SmtpSink) -> None:
        base = f"http://127.0.0.1:{served.port}"
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {served.key}"}
        ) as client:
            tenant = Tenant(workspace_id=uuid.uuid4(), key=served.key, client=client)
            await create_sink_account(tenant, smtp_sink, "alice@sender.test", sending_gap=0)
            await launch_campaign(
                tenant,
                ["alice@sender.test"],
                [step("<p>Hi {{firstName}}</p>", "Hello")],
                [{"email": "ann@lead.test", "first_name": "Ann"}],
                open_tracking=True,
            )

            async def sent() -> bool:
                return bool(smtp_sink.received)

            await eventually(sent, "the served engine to send", timeout=60)
            html = smtp_sink.received[0].message.get_body(("html",))
            assert html is not None
            pixels = PIXEL.findall(str(html.get_content()))
            assert [urlsplit(url).netloc for url in pixels] == [f"127.0.0.1:{served.port}"]
            opened = await client.get(pixels[0].replace("&amp;", "&"))
            assert (opened.status_code, opened.headers["content-type"]) == (200, "image/gif")
