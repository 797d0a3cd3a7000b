"""Fixtures of the deployment tests: the repository's deploy/ folder and migrated databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.fixtures import sqlite_database
from tests.store.conftest import new_database

__all__ = ["deploy", "new_database", "sqlite_database"]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(scope="session")
def deploy() -> Path:
    """The ``deploy/`` folder."""
    return DEPLOY
