"""Real `coldsend worker` processes for the kill tests: start them, wait on them, kill the lease holder."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from coldsend.models import BackgroundJob

LEASE_SECONDS = 2
BATCH_SIZE = 200  # small batches: far more than the few it takes to see progress and kill


class Worker:
    def __init__(self, url: str, directory: Path) -> None:
        directory.mkdir()
        self.log_path = directory / "worker.log"
        env = {
            **os.environ,
            "COLDSEND_DATABASE_URL": url,
            "COLDSEND_DATA_DIR": str(directory),
            "COLDSEND_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "COLDSEND_JOB_BATCH_SIZE": str(BATCH_SIZE),
            "COLDSEND_JOB_POLL_INTERVAL": "0.1",
        }
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "coldsend", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()


async def wait_for(
    check: Callable[[], Awaitable[bool]],
    timeout: float,
    what: str,
    workers: list[Worker],
    *,
    every: float = 0.005,
) -> None:
    """Poll `check` every `every` seconds until true; fail with the workers' output on timeout or if one
    of them exits."""
    deadline = time.monotonic() + timeout
    while not await check():
        exited = [worker for worker in workers if worker.process.poll() is not None]
        if exited or time.monotonic() > deadline:
            logs = "\n".join(f"--- worker {worker.pid}\n{worker.output()}" for worker in workers)
            problem = f"worker {exited[0].pid} exited" if exited else f"timed out after {timeout} s"
            pytest.fail(f"{problem} waiting for {what}\n{logs}")
        await asyncio.sleep(every)


def alive_pids(workers: list[Worker]) -> set[int]:
    return {worker.pid for worker in workers if worker.process.poll() is None}


def lease_pid(job: BackgroundJob) -> int:
    assert job.lease_owner is not None
    _host, pid, _nonce = job.lease_owner.rsplit(":", 2)
    return int(pid)


async def kill_lease_holder(
    pool: list[Worker], load_job: Callable[[], Awaitable[BackgroundJob]]
) -> tuple[Worker, Worker]:
    """SIGKILL the worker holding the job's lease; (the killed one, the survivor)."""
    holder_pid = lease_pid(await load_job())
    assert holder_pid in alive_pids(pool)
    os.kill(holder_pid, signal.SIGKILL)
    [holder] = [worker for worker in pool if worker.pid == holder_pid]
    [survivor] = [worker for worker in pool if worker.pid != holder_pid]
    holder.process.wait(timeout=10)
    return holder, survivor
