"""Security fixtures: the API test app and accounts (from :mod:`tests.api`), plus a second study."""

from tests.api.conftest import (
    admin,
    api_ctx,
    client,
    outsider,
    researcher,
    stimulus_id,
    study_id,
    viewer,
)
from tests.service.fixtures import sqlite_database
from tests.service.people import password_hash
from tests.store.conftest import new_database

__all__ = [
    "admin",
    "api_ctx",
    "client",
    "new_database",
    "outsider",
    "password_hash",
    "researcher",
    "sqlite_database",
    "stimulus_id",
    "study_id",
    "viewer",
]
