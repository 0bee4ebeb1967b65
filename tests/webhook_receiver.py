"""A webhook receiver in its own process on loopback: it records every request and verifies its Standard
Webhooks signature with the `standardwebhooks` package (an implementation that is not ours).

    python -m tests.webhook_receiver            prints "listening HOOK_PORT CONTROL_PORT"

Hooks are POSTed to the hook port. The control port (JSON) tells it what to do:
- `POST /secrets {"path", "secrets"}`: the `whsec_` secrets each request to `path` is verified with;
- `POST /answer {"path", "status", "delay", "location"}`: answer `status` after `delay` seconds (default
  204, 0), with a Location header when given;
- `POST /down`, `POST /up`: stop listening on the hook port (connections are refused), listen again;
- `GET /requests`: every request so far, in order; `POST /clear` forgets them;
- `GET /peak`: by path, the most requests that were being answered at once.

`receiver()` starts one for a test and stops it by its PID.
"""

import argparse
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook, WebhookVerificationError

ROOT = Path(__file__).resolve().parent.parent


class _State:
    def __init__(self, verify: bool) -> None:
        self.lock = threading.Lock()
        self.verify = verify
        self.requests: list[dict[str, Any]] = []
        self.secrets: dict[str, list[str]] = {}
        self.answers: dict[str, tuple[int, float, str]] = {}
        self.connections: set[socket.socket] = set()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()  # the most requests to a path answered at once

    def record(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, float, str]:
        with self.lock:
            keys = list(self.secrets.get(path, []))
            answer = self.answers.get(path, (204, 0.0, ""))
        verified = [_verifies(key, headers, body) for key in keys] if self.verify else []
        entry = {
            "path": path,
            "headers": headers,
            "body": base64.b64encode(body).decode(),
            "verified": verified,
            "received_at": time.time(),
            "status": answer[0],
        }
        with self.lock:
            self.requests.append(entry)
        return answer


def _verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def _hook_handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Hook(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender went away mid-request (killed): nothing arrived
                self.close_connection = True
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, delay, location = state.record(self.path, headers, body)
            with state.lock:
                state.in_flight[self.path] += 1
                state.peak[self.path] = max(state.peak[self.path], state.in_flight[self.path])
            if delay:
                time.sleep(delay)
            with state.lock:
                state.in_flight[self.path] -= 1
            answer = b"" if status in (204, 304) else b"ok"
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def setup(self) -> None:
            super().setup()
            with state.lock:
                state.connections.add(self.connection)

        def finish(self) -> None:
            with state.lock:
                state.connections.discard(self.connection)
            super().finish()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Hook


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client killed mid-request
            super().handle_error(request, client_address)


class _Hooks:
    """The hook listener, which can be stopped and started again on the same port."""

    def __init__(self, state: _State, port: int) -> None:
        self.state = state
        self.port = port
        self.server: _Server | None = None
        self.up()

    def up(self) -> None:
        if self.server is None:
            self.server = _Server(("127.0.0.1", self.port), _hook_handler(self.state))
            self.port = self.server.server_address[1]
            threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
            # Kept-alive connections too: a client's pooled connection must fail like a new one.
            with self.state.lock:
                for connection in self.state.connections:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)


def _control_handler(state: _State, hooks: _Hooks) -> type[BaseHTTPRequestHandler]:
    class Control(BaseHTTPRequestHandler):
        def _reply(self, value: object) -> None:
            data = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            with state.lock:
                self._reply(dict(state.peak) if self.path == "/peak" else list(state.requests))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                if self.path == "/secrets":
                    state.secrets[body["path"]] = list(body["secrets"])
                elif self.path == "/answer":
                    answer = (
                        int(body.get("status", 204)),
                        float(body.get("delay", 0)),
                        body.get("location", ""),
                    )
                    state.answers[body["path"]] = answer
                elif self.path == "/clear":
                    state.requests.clear()
            if self.path == "/down":
                hooks.down()
            elif self.path == "/up":
                hooks.up()
            self._reply({"ok": True})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Control


def serve(verify: bool) -> None:
    state = _State(verify)
    hooks = _Hooks(state, 0)
    control = _Server(("127.0.0.1", 0), _control_handler(state, hooks))
    print(f"listening {hooks.port} {control.server_address[1]}", flush=True)  # noqa: T201
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=control.shutdown).start())
    control.serve_forever(poll_interval=0.05)
    hooks.down()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: list[bool]  # one per secret given for its path, in order
    received_at: float
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """The test side: where to post, what to answer, and what arrived."""

    def __init__(self, process: subprocess.Popen[str], port: int, control_port: int) -> None:
        self.process = process
        self.pid = process.pid
        self.port = port
        self.control = httpx.Client(base_url=f"http://127.0.0.1:{control_port}", trust_env=False)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def _post(self, what: str, **body: Any) -> None:
        self.control.post(what, json=body).raise_for_status()

    def verify_with(self, path: str, *secrets: str) -> None:
        self._post("/secrets", path=path, secrets=list(secrets))

    def answer(self, path: str, status: int = 204, delay: float = 0.0, location: str = "") -> None:
        self._post("/answer", path=path, status=status, delay=delay, location=location)

    def down(self) -> None:
        self._post("/down")

    def up(self) -> None:
        self._post("/up")

    def clear(self) -> None:
        self._post("/clear")

    def requests(self, path: str | None = None) -> list[Received]:
        response = self.control.get("/requests", timeout=60)
        response.raise_for_status()
        return [
            Received(
                path=item["path"],
                headers=item["headers"],
                body=base64.b64decode(item["body"]),
                verified=item["verified"],
                received_at=item["received_at"],
                status=item["status"],
            )
            for item in response.json()
            if path is None or item["path"] == path
        ]

    def peak(self, path: str) -> int:
        """The most requests to `path` the receiver was answering at once."""
        response = self.control.get("/peak")
        response.raise_for_status()
        return int(response.json().get(path, 0))

    def stop(self) -> None:
        self.control.close()
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()


def start(verify: bool = True) -> Receiver:
    command = [sys.executable, "-m", "tests.webhook_receiver"] + ([] if verify else ["--no-verify"])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if line[:1] != ["listening"]:
        process.kill()
        process.wait()
        raise RuntimeError(f"the webhook receiver did not start: {line!r}")
    return Receiver(process, int(line[1]), int(line[2]))


@contextmanager
def receiver(verify: bool = True) -> Iterator[Receiver]:
    started = start(verify)
    try:
        yield started
    finally:
        started.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-verify", action="store_true", help="record only (the benchmark)")
    serve(verify=not parser.parse_args().no_verify)
