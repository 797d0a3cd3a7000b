"""Driving ``scripts/cluster-local`` from tests: start, read its state, drills, stop."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "cluster-local"


@dataclass
class LocalCluster:
    """A running cluster: its state folder and parsed ``state.json``."""

    state_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def state(self) -> dict[str, Any]:
        return dict(json.loads((self.state_dir / "state.json").read_text()))

    def nginx(self, **kw: Any) -> httpx.Client:
        tls = ssl.create_default_context(cafile=self.state["ca"])
        return httpx.Client(base_url=self.state["url"], verify=tls, timeout=60, **kw)

    def api(self, index: int, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.state["apis"][index]["url"], timeout=60, **kw)

    def control(self, action: str, service: str) -> None:
        done = subprocess.run(
            [sys.executable, str(SCRIPT), action, service, "--state", str(self.state_dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr

    def pid(self, service: str) -> int | None:
        pid = self.state.get("pids", {}).get(service)
        return int(pid) if pid is not None else None

    def log(self, service: str) -> str:
        return (self.state_dir / "logs" / f"{service}.log").read_text(errors="replace")


def wait_for(what: str, check: Callable[[], bool], *, polls: int = 600, every: float = 0.2) -> None:
    """Poll ``check`` until it is true; fail after ``polls`` tries (a bound, not a timing)."""
    for _ in range(polls):
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Celery's pool processes of a worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command may contain spaces and parentheses: fields follow the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def local_cluster(state_dir: Path, *extra: str) -> Iterator[LocalCluster]:
    """``scripts/cluster-local start``; always stopped (and its processes checked gone) after."""
    log = (state_dir.parent / "cluster-local.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "start", "--state", str(state_dir), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    cluster = LocalCluster(state_dir, process)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                out = (state_dir.parent / "cluster-local.out").read_text(errors="replace")
                raise AssertionError(f"cluster-local exited: {out}")
            path = state_dir / "state.json"
            return path.exists() and cluster.state.get("status") == "ready"

        wait_for("the cluster to start", ready, polls=900)
        yield cluster
    finally:
        pids = (
            list(cluster.state.get("pids", {}).values())
            if (state_dir / "state.json").exists()
            else []
        )
        subprocess.run(
            [sys.executable, str(SCRIPT), "stop", "--state", str(state_dir)],
            capture_output=True,
            timeout=150,
        )
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        log.close()
        for pid in pids:  # nothing the cluster started may outlive it
            if alive(int(pid)):
                os.killpg(int(pid), signal.SIGKILL)
                raise AssertionError(f"process {pid} survived cluster-local stop")
