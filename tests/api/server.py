"""A real ``gazemap serve`` process on a free port, for end-to-end tests over TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

GAZEMAP = Path(sys.executable).with_name("gazemap")
#: Polls of /healthz before the server counts as failed to start (no timed assertion).
START_POLLS = 300


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL and log file."""

    url: str
    log: Path


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str, env: dict[str, str]) -> str:
    """Run ``gazemap ARGS`` to completion; return its stdout (fails on a non-zero exit)."""
    done = subprocess.run(
        [str(GAZEMAP), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"gazemap {' '.join(args)} failed: {done.stderr}")
    return done.stdout


@contextmanager
def live_server(env: dict[str, str], log: Path) -> Iterator[LiveServer]:
    """Start ``gazemap serve`` with ``env``; stop it (terminate, then kill) afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GAZEMAP), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(START_POLLS):
                if process.poll() is not None:
                    raise AssertionError(f"server exited: {log.read_text(errors='replace')}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                raise AssertionError(f"server did not start: {log.read_text(errors='replace')}")
            yield LiveServer(url, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The current environment with ``GAZEMAP_HOME=home`` and ``extra`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZEMAP_")}
    env.update(GAZEMAP_HOME=str(home), GAZEMAP_ENVIRONMENT="test", **extra)
    return env
