"""Service-level security tests use the service fixtures (actors, not signed-in API accounts)."""

from tests.service.conftest import (
    admin,
    ctx,
    new_database,
    outsider,
    password_hash,
    researcher,
    service_database,
    stimulus,
    study,
    viewer,
)

__all__ = [
    "admin",
    "ctx",
    "new_database",
    "outsider",
    "password_hash",
    "researcher",
    "service_database",
    "stimulus",
    "study",
    "viewer",
]
