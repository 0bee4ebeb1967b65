"""A real IMAP server for tests: Debian's Dovecot, run as a child process on loopback.

`Dovecot(directory)` writes a config, a passwd-file and Maildirs under `directory` and listens on two
free ports: `port` (plain, offering STARTTLS) and `ssl_port` (implicit TLS), with a certificate for
localhost / 127.0.0.1 issued by `ca` (a trustme CA, its own unless one is given; `ca_path` is its PEM
file). Add users with
`add_user(login, password)` (appended to the passwd-file; no reload needed). `stop()` / `start()`
take it down and bring it back on the same ports, for outage tests.

As root it runs under `setpriv` as nobody (Dovecot refuses root logins and mail processes); otherwise
as the current user. When the `dovecot` binary is missing, `ensure_dovecot()` installs
`dovecot-imapd` with apt-get (CI runs as root on a clean machine) and fails loudly if it cannot.

`Dovecot(directory, introspection_url=...)` also takes AUTHENTICATE XOAUTH2 (and OAUTHBEARER): an
`oauth2` passdb asks that OAuth 2.0 introspection endpoint whether the bearer token is active for the
user (its `email`); passwords still log in with LOGIN/PLAIN, and `add_user` gives the user its Maildir.

Fixtures: `dovecot` (session scope, shared) and `make_dovecot` (function scope, for a server a test
stops and starts). Every server `make_dovecot` starts has a certificate from the session server's CA,
so an app that trusts `dovecot.ca_path` verifies them all, as a client of one mail host would.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from tests.debian import ensure_packages

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
UNPRIVILEGED_USER = "nobody"

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = coldsend-test-{port}
log_path = {dir}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechanisms}
auth_failure_delay = 0
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = 0
mail_location = maildir:~/Maildir
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No socket for the auth penalty: failed logins in one test must not slow the next one's.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
"""

OAUTH_MECHANISMS = " xoauth2 oauthbearer"
OAUTH_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {dir}/oauth2.conf.ext
}}
"""
# force_introspection: the token itself says nothing; the introspection endpoint says who it is for.
OAUTH2_CONFIG = """\
introspection_url = {url}
introspection_mode = post
force_introspection = yes
username_attribute = email
active_attribute = active
active_value = true
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


IMAP_SERVICE = Path("/usr/lib/dovecot/imap")


def ensure_dovecot() -> str:
    """The dovecot binary, installed with apt-get when its IMAP service is missing. The check is for the
    service, not the binary: `dovecot-core` alone (pulled in by the warmup tests' `dovecot-lmtpd`) has the
    binary but cannot serve IMAP."""
    ensure_packages(
        ("dovecot-imapd",),
        lambda: _dovecot_binary() is not None and IMAP_SERVICE.exists(),
        "the IMAP tests",
    )
    binary = _dovecot_binary()
    assert binary is not None
    return binary


class Dovecot:
    def __init__(
        self, directory: Path, ca: trustme.CA | None = None, introspection_url: str | None = None
    ) -> None:
        self.binary = ensure_dovecot()
        self.doveadm = str(Path(self.binary).with_name("doveadm"))
        if not os.access(self.doveadm, os.X_OK):
            self.doveadm = shutil.which("doveadm") or "doveadm"
        self.directory = directory
        self.host = HOST
        self.port = _free_port()
        self.ssl_port = _free_port()
        self.as_root = os.geteuid() == 0
        account = pwd.getpwnam(UNPRIVILEGED_USER) if self.as_root else pwd.getpwuid(os.getuid())
        self.uid, self.gid = account.pw_uid, account.pw_gid
        self.user = account.pw_name
        self.ca = ca or trustme.CA()
        self.ca_path = directory / "ca.pem"
        self.process: subprocess.Popen[bytes] | None = None
        self.introspection_url = introspection_url
        self._write_files()

    def _write_files(self) -> None:
        directory = self.directory
        for sub in ("run", "state", "home"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        certificate = self.ca.issue_cert("localhost", HOST)
        certificate.cert_chain_pems[0].write_to_path(str(directory / "cert.pem"))
        certificate.private_key_pem.write_to_path(str(directory / "key.pem"))
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        (directory / "users").write_text("")
        group = "nogroup" if self.as_root else self.user
        oauth = self.introspection_url is not None
        if oauth:
            (directory / "oauth2.conf.ext").write_text(OAUTH2_CONFIG.format(url=self.introspection_url))
        (directory / "dovecot.conf").write_text(
            CONFIG.format(
                dir=directory,
                host=HOST,
                port=self.port,
                ssl_port=self.ssl_port,
                user=self.user,
                group=group,
                oauth_mechanisms=OAUTH_MECHANISMS if oauth else "",
                oauth_passdb=OAUTH_PASSDB.format(dir=directory) if oauth else "",
            )
        )
        if self.as_root:
            for path in [directory, *directory.rglob("*")]:
                os.chown(path, self.uid, self.gid)

    def add_user(self, login: str, password: str) -> None:
        home = self.directory / "home" / login
        (home / "Maildir").mkdir(parents=True, exist_ok=True)
        if self.as_root:
            for path in (home, home / "Maildir"):
                os.chown(path, self.uid, self.gid)
        with (self.directory / "users").open("a") as lines:
            lines.write(f"{login}:{password}:{self.uid}:{self.gid}::{home}::\n")
        if self.process is not None:
            self._wait_for_user(login)

    def _wait_for_user(self, login: str) -> None:
        """Dovecot looks at the passwd-file at most once a second: wait until it knows the new user
        (a userdb lookup, which unlike a failed login adds no auth penalty)."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        lookup = [self.doveadm, "-c", str(self.directory / "dovecot.conf"), "user", login]
        while subprocess.run(lookup, capture_output=True, check=False).returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail(f"Dovecot did not pick up the user {login}:\n{self.output()}")
            time.sleep(0.05)

    def _command(self) -> list[str]:
        command = [self.binary, "-F", "-c", str(self.directory / "dovecot.conf")]
        if self.as_root:
            privileges = [f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups"]
            return ["setpriv", *privileges, *command]
        return command

    def start(self) -> "Dovecot":
        self.process = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._greets():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"Dovecot did not start:\n{self.output()}")
            time.sleep(0.02)
        return self

    def _greets(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as connection:
                return connection.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def output(self) -> str:
        log = self.directory / "dovecot.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        if self.process is not None and self.process.stdout is not None and self.process.poll() is not None:
            text += self.process.stdout.read().decode(errors="replace")
        return text

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def directory_for_dovecot() -> Path:
    """A directory the unprivileged server user can reach (pytest's tmp dirs are private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="coldsend-dovecot-"))
    directory.chmod(0o755)
    return directory


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    directory = directory_for_dovecot()
    server = Dovecot(directory).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


MakeDovecot = Callable[[], Dovecot]


@pytest.fixture
def make_dovecot(dovecot: Dovecot) -> Iterator[MakeDovecot]:
    started: list[tuple[Dovecot, Path]] = []

    def make() -> Dovecot:
        directory = directory_for_dovecot()
        server = Dovecot(directory, ca=dovecot.ca).start()
        started.append((server, directory))
        return server

    try:
        yield make
    finally:
        for server, directory in started:
            server.stop()
            shutil.rmtree(directory, ignore_errors=True)
