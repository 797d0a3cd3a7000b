"""A real S3 HTTP endpoint for tests: moto's server mode in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5):  # noqa: S310 (local test server)
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@contextmanager
def moto_server(log: Path) -> Iterator[str | None]:
    """Run ``moto_server`` on a free local port; yield its URL, or ``None`` if it cannot start."""
    executable = Path(sys.executable).with_name("moto_server")
    if not executable.exists():
        yield None
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
        try:
            deadline = time.monotonic() + 30
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(url):
                    break
                time.sleep(0.1)
            yield url if process.poll() is None and _answers(url) else None
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def s3_client(endpoint_url: str) -> Any:
    """A boto3 S3 client for the test endpoint."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url, **CREDENTIALS)
