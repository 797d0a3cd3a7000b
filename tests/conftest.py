"""Fixtures shared by the whole suite: real data, and the real PostgreSQL and Redis.

Services are used for real. On a laptop without them a test is skipped with the
reason; under CI (``CI=true``) an unreachable service fails the test instead, so a
broken CI machine can never look green.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GAZEMAP_SHARED_DATA", REPO.parent / "shared" / "data" / "real"))

POSTGRES_URL = os.environ.get(
    "GAZEMAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("GAZEMAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def under_ci() -> bool:
    """True when running in CI, where a missing service or data set is a failure."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip the current test with ``reason``, or fail it under CI."""
    if under_ci():
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)")
    pytest.skip(reason)


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real``: the real recordings, read in place (never written to)."""
    if not SHARED_DATA.is_dir():
        unavailable(f"real data folder {SHARED_DATA} not found; set GAZEMAP_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of the test PostgreSQL (``GAZEMAP_TEST_POSTGRES_URL``)."""
    if not _reachable(POSTGRES_URL, 5432):
        unavailable(f"PostgreSQL at {POSTGRES_URL} is unreachable")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis (``GAZEMAP_TEST_REDIS_URL``, database 15 by default)."""
    if not _reachable(REDIS_URL, 6379):
        unavailable(f"Redis at {REDIS_URL} is unreachable")
    return REDIS_URL


@pytest.fixture
def gazemap_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``GAZEMAP_HOME`` with every other ``GAZEMAP_*`` variable cleared."""
    for name in list(os.environ):
        if (
            name.startswith("GAZEMAP_")
            and not name.startswith("GAZEMAP_TEST_")
            and name != "GAZEMAP_SHARED_DATA"
        ):
            monkeypatch.delenv(name)
    home = tmp_path / "gazemap-home"
    home.mkdir()
    monkeypatch.setenv("GAZEMAP_HOME", str(home))
    return home
