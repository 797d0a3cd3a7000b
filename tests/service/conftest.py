"""Service fixtures (defined in :mod:`tests.service.fixtures`) and the store's database factory."""

from tests.service.fixtures import ctx, service_database, sqlite_ctx, sqlite_database
from tests.store.conftest import new_database

__all__ = ["ctx", "new_database", "service_database", "sqlite_ctx", "sqlite_database"]
