"""Job fixtures: the service fixtures (migrated databases, contexts) and the test task kinds."""

from tests.jobs.tasks import register_test_tasks
from tests.service.fixtures import ctx, service_database, sqlite_ctx, sqlite_database
from tests.store.conftest import new_database

register_test_tasks()

__all__ = ["ctx", "new_database", "service_database", "sqlite_ctx", "sqlite_database"]
