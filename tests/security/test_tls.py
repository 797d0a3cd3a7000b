"""``gazemap serve --ssl-certfile --ssl-keyfile`` serves HTTPS, with HSTS, and refuses bad setups."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.security.certs import TLSFiles, make_tls_files

SERVE = [sys.executable, "-c", "from gazemap.cli import main; main()", "serve"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZEMAP_")}
    env.update(GAZEMAP_HOME=str(home), GAZEMAP_ENVIRONMENT="development", **extra)
    return env


@pytest.fixture
def tls(tmp_path: Path) -> TLSFiles:
    return make_tls_files(tmp_path)


@pytest.fixture
def https_server(tmp_path: Path, tls: TLSFiles) -> Iterator[str]:
    """``gazemap serve`` over TLS on a free port; its base URL. Stopped afterwards."""
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            *SERVE,
            "--port",
            str(port),
            "--upgrade-db",
            "--ssl-certfile",
            str(tls.cert),
            "--ssl-keyfile",
            str(tls.key),
            "--log-level",
            "warning",
        ],
        env=serve_env(tmp_path / "home"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.flush()
                pytest.fail(f"gazemap serve exited: {(tmp_path / 'serve.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gazemap serve did not start listening within 60 s")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.slow
def test_serve_answers_https_with_hsts(https_server: str, tls: TLSFiles) -> None:
    context = ssl.create_default_context(cafile=str(tls.ca))
    with httpx.Client(verify=context, timeout=10) as client:
        for _ in range(50):  # the socket may accept before the app's lifespan finished
            response = client.get(f"{https_server}/healthz")
            if response.status_code == 200:
                break
            time.sleep(0.1)
        assert response.status_code == 200
        assert response.url.scheme == "https"
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-content-type-options"] == "nosniff"
        token = client.post(
            f"{https_server}/api/v1/auth/token", data={"username": "nobody", "password": "x"}
        )
        assert token.status_code == 401


@pytest.mark.slow
def test_serve_refuses_plain_http_clients_and_untrusted_certificates(
    https_server: str, tls: TLSFiles
) -> None:
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=10) as client:
        client.get(f"{https_server}/healthz")  # default trust store: test CA unknown
    plain = https_server.replace("https://", "http://")
    with httpx.Client(timeout=10) as client:
        try:
            response = client.get(f"{plain}/healthz")
        except httpx.HTTPError:
            return
        assert response.status_code == 400  # uvicorn/h11 answers garbage with 400 at most


def test_serve_needs_both_tls_files(tmp_path: Path, tls: TLSFiles) -> None:
    done = subprocess.run(
        [*SERVE, "--ssl-certfile", str(tls.cert)],
        env=serve_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--ssl-certfile and --ssl-keyfile go together" in done.stderr


def test_serve_refuses_a_missing_key_file(tmp_path: Path, tls: TLSFiles) -> None:
    done = subprocess.run(
        [*SERVE, "--ssl-certfile", str(tls.cert), "--ssl-keyfile", str(tmp_path / "nope.pem")],
        env=serve_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "nope.pem is not a readable file" in done.stderr


def test_serve_refuses_production_with_the_default_secret(tmp_path: Path) -> None:
    env = serve_env(tmp_path / "home")
    env["GAZEMAP_ENVIRONMENT"] = "production"
    done = subprocess.run(
        [*SERVE, "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "GAZEMAP_SECURITY__SECRET_KEY must be set" in done.stderr
    assert done.stderr.count("\n") == 1  # one line, no traceback


def test_serve_refuses_production_with_a_short_secret(tmp_path: Path) -> None:
    env = serve_env(
        tmp_path / "home",
        GAZEMAP_SECURITY__SECRET_KEY="short",
        GAZEMAP_SECURITY__PSEUDONYM_KEY="p" * 40,
    )
    env["GAZEMAP_ENVIRONMENT"] = "production"
    done = subprocess.run(
        [*SERVE, "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "SECRET_KEY" in done.stderr
