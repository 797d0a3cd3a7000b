"""``gazemap serve`` with ``GAZEMAP_LOG_FORMAT=json``: JSON lines on standard error only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

GAZEMAP = Path(sys.executable).with_name("gazemap")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAZEMAP_", "PROMETHEUS"))}
    return {**env, "GAZEMAP_HOME": str(home), "GAZEMAP_ENVIRONMENT": "test", **extra}


def test_serve_writes_json_lines_to_stderr(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(tmp_path / "home", GAZEMAP_LOG_FORMAT="json", GAZEMAP_LOG_LEVEL="info")
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as o, err.open("wb") as e:
        process = subprocess.Popen(
            [str(GAZEMAP), "serve", "--port", str(port), "--upgrade-db"],
            env=env,
            stdout=o,
            stderr=e,
        )
        try:
            for _ in range(300):
                assert process.poll() is None, err.read_text()
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            r = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/stimuli/1",
                headers={"X-Request-ID": "serve-test-1", "Authorization": "Bearer not-a-jwt"},
            )
            assert r.status_code == 401
            assert r.headers["x-request-id"] == "serve-test-1"
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    assert out.read_text() == ""
    lines = [json.loads(line) for line in err.read_text().splitlines() if line.strip()]
    events = [line["event"] for line in lines]
    assert any("Uvicorn running" in event for event in events)  # uvicorn's own lines too
    (access,) = [line for line in lines if line.get("request_id") == "serve-test-1"]
    assert access["event"] == "request"
    assert access["route"] == "/api/v1/stimuli/{stimulus_id}"
    assert access["status"] == 401
    assert access["user_id"] is None
    assert all(line["level"] in ("info", "warning") for line in lines)
    assert "not-a-jwt" not in err.read_text()
    assert not any('"GET /' in event for event in events)  # no uvicorn access lines


def test_serve_refuses_an_unknown_log_format(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(GAZEMAP), "serve", "--port", str(free_port()), "--log-format", "xml"],
        env=clean_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: log format must be 'json' or 'console', got 'xml'"
