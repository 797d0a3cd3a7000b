"""Service fixtures (from :mod:`tests.service.fixtures` and :mod:`tests.service.people`) and the store's database factory."""

from tests.service.fixtures import ctx, service_database, sqlite_ctx, sqlite_database
from tests.service.people import (
    admin,
    outsider,
    password_hash,
    researcher,
    stimulus,
    study,
    viewer,
)
from tests.store.conftest import new_database

__all__ = [
    "admin",
    "ctx",
    "new_database",
    "outsider",
    "password_hash",
    "researcher",
    "service_database",
    "sqlite_ctx",
    "sqlite_database",
    "stimulus",
    "study",
    "viewer",
]
