"""Alembic migrations, driven from Python: no ``alembic.ini`` is needed at run time.

``gazemap db upgrade`` calls :func:`upgrade`. The scripts live in the package
(``gazemap/store/migrations``), found through :mod:`importlib.resources`, so an
installed wheel migrates without the source tree. SQLite runs in batch mode, which
recreates a table for every ALTER SQLite cannot do in place.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL

from gazemap.store.engine import create_engine_for

__all__ = ["alembic_config", "current_revision", "downgrade", "upgrade"]


def alembic_config(url: str | URL) -> Config:
    """An Alembic configuration for the database at ``url``.

    Parameters
    ----------
    url:
        SQLAlchemy URL of the database to migrate.

    Returns
    -------
    alembic.config.Config
        ``script_location`` points at the packaged migrations; the URL travels in
        ``config.attributes["url"]`` (not the ini options, where ``%`` in a URL would
        be read as interpolation).
    """
    config = Config()
    config.set_main_option("script_location", str(files("gazemap.store") / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the newest).

    Parameters
    ----------
    url:
        SQLAlchemy URL; an empty database gets every table.
    revision:
        Target revision id or ``"head"``.
    """
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"`` drops every table).

    Parameters
    ----------
    url:
        SQLAlchemy URL.
    revision:
        Target revision id, a relative step such as ``"-1"``, or ``"base"``.
    """
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at, or ``None`` if it was never migrated.

    Parameters
    ----------
    url:
        SQLAlchemy URL.

    Returns
    -------
    str or None
        Revision id stored in the ``alembic_version`` table.
    """
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
