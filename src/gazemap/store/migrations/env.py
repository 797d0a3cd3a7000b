"""Alembic environment for gazemap; configured by :mod:`gazemap.store.migrate`."""

from __future__ import annotations

from alembic import context
from alembic.config import Config
from sqlalchemy import Connection

from gazemap.store.engine import create_engine_for
from gazemap.store.models import Base

target_metadata = Base.metadata


def _config() -> Config:
    return context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
    )


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    context.configure(
        url=str(_config().attributes["url"]),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate over a live connection (given by the caller, or made from the URL)."""
    config = _config()
    given = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    # batch mode recreates SQLite tables: keys must not be enforced (a DROP TABLE
    # would fire the cascades); foreign_key_check below verifies them afterwards
    engine = create_engine_for(config.attributes["url"], sqlite_foreign_keys=False)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
                if connection.dialect.name == "sqlite":
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


def _inside_alembic() -> bool:
    # pytest's doctest collection imports this module too; only Alembic sets up context
    try:
        _config()
    except AttributeError:
        return False
    return True


if _inside_alembic():
    if context.is_offline_mode():
        run_offline()
    else:
        run_online()
