"""Alembic migrations of the gazemap schema; run them with :func:`gazemap.store.migrate.upgrade`."""
