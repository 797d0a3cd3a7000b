"""Job fixtures: the service fixtures (migrated databases, contexts, people) and test task kinds."""

from tests.jobs.tasks import register_test_tasks
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

register_test_tasks()

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
