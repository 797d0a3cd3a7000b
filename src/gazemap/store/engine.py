"""Engines and session factories for SQLite (the embedded default) and PostgreSQL.

Nothing is built at import: the API's app factory and the CLI call
:func:`create_engine_for` with ``Settings.resolved_database_url`` and keep the engine.

SQLite connections get ``PRAGMA foreign_keys=ON`` (cascades and the composite study
keys depend on it), WAL journaling for file databases (readers do not block the
writer), a busy timeout, and explicit ``BEGIN IMMEDIATE`` so that transactions and SAVEPOINTs
behave as on PostgreSQL (the pysqlite driver's own transaction handling does not
emit ``BEGIN`` before every statement) and a read-then-write transaction waits for a
concurrent writer instead of failing. PostgreSQL uses psycopg 3 with a pool sized by
``settings.db`` and a *lazy* pre-ping: a connection that sat idle in the pool for longer
than ``ping_after_idle_seconds`` is pinged before use (a restarted server costs a
reconnect, not an error), while one handed back moments ago is reused without the extra
round trip, which under load would be a quarter of a cached request's database time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from gazemap.config import DatabaseSettings, Settings
from gazemap.errors import InvalidInputError

__all__ = ["create_engine_for", "engine_from_settings", "make_session_factory"]

SQLITE_BUSY_TIMEOUT_MS = 10_000
_SQLITE_BEGIN_MODES = frozenset({"IMMEDIATE", "DEFERRED"})


def _normalise_url(url: str | URL) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InvalidInputError(f"database URL is not valid: {exc}", field="database_url") from exc
    # psycopg 3 is the driver gazemap ships with; plain postgresql:// would ask for psycopg2
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _install_sqlite_pragmas(engine: Engine, *, foreign_keys: bool, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # driver-level autocommit; SQLAlchemy's "begin" hook below opens transactions
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and
        # then writes fails at once with "database is locked" when another connection
        # committed in between (WAL snapshot upgrade; busy_timeout does not apply), while
        # an immediate one waits up to busy_timeout. Transactions here are short (heat
        # maps compute outside them), so serialising them costs little. Read-only
        # sessions (ServiceContext.session(readonly=True)) ask for DEFERRED through the
        # "sqlite_begin" execution option: they never write, so they cannot hit that
        # upgrade failure, and WAL lets them run beside a writer instead of queueing.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode not in _SQLITE_BEGIN_MODES:
            raise InvalidInputError(
                f"sqlite_begin must be one of {sorted(_SQLITE_BEGIN_MODES)}, got {mode!r}",
                field="sqlite_begin",
            )
        connection.exec_driver_sql(f"BEGIN {mode}")


_IDLE_SINCE = "gazemap_idle_since"


def _install_lazy_ping(engine: Engine, ping_after_idle_seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle long enough to go stale."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < ping_after_idle_seconds:
            return  # a fresh connection, or one in use moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # the pool drops this connection and checks out (or opens) another
                raise DisconnectionError(f"stale pooled connection: {exc}") from exc
            raise


def create_engine_for(
    url: str | URL,
    *,
    echo: bool = False,
    sqlite_foreign_keys: bool = True,
    pool: DatabaseSettings | None = None,
) -> Engine:
    """Create a configured engine for a SQLite or PostgreSQL URL.

    Parameters
    ----------
    url:
        SQLAlchemy URL: ``sqlite:///path/to/gazemap.db``, ``sqlite://`` (memory) or
        ``postgresql+psycopg://user:pass@host/db`` (``postgresql://`` is accepted and
        means psycopg 3). For a SQLite file the parent folder is created.
    echo:
        Log every SQL statement (debugging).
    sqlite_foreign_keys:
        Enforce foreign keys on SQLite connections. Only migrations turn this off,
        because SQLite's batch mode recreates tables and a ``DROP TABLE`` under
        enforced keys would fire the cascades.
    pool:
        PostgreSQL pool size, overflow, timeout and idle-ping threshold; the defaults of
        :class:`~gazemap.config.DatabaseSettings` when omitted. SQLite ignores it.

    Returns
    -------
    Engine
        A new engine; the caller owns it and should ``dispose()`` it.

    Raises
    ------
    InvalidInputError
        If ``url`` cannot be parsed or names a database other than SQLite or PostgreSQL.

    Examples
    --------
    >>> engine = create_engine_for("sqlite://")
    >>> with engine.connect() as conn:
    ...     conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    1
    >>> engine.dispose()
    """
    parsed = _normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
        if not in_memory and database is not None:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo)
        _install_sqlite_pragmas(engine, foreign_keys=sqlite_foreign_keys, wal=not in_memory)
        return engine
    if backend == "postgresql":
        pool = pool or DatabaseSettings()
        engine = create_engine(
            parsed,
            echo=echo,
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout_seconds,
            pool_pre_ping=pool.ping_after_idle_seconds == 0,
        )
        if pool.ping_after_idle_seconds > 0:
            _install_lazy_ping(engine, pool.ping_after_idle_seconds)
        return engine
    raise InvalidInputError(
        f"database URL must be sqlite or postgresql, got {backend!r}", field="database_url"
    )


def engine_from_settings(settings: Settings) -> Engine:
    """The engine for ``settings.resolved_database_url`` (SQLite under ``home`` by default).

    Parameters
    ----------
    settings:
        gazemap settings.

    Returns
    -------
    Engine
        See :func:`create_engine_for`.
    """
    return create_engine_for(settings.resolved_database_url, pool=settings.db)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``.

    Sessions do not expire objects on commit, so a service can return the rows it just
    wrote without another round trip.

    Parameters
    ----------
    engine:
        From :func:`create_engine_for`.

    Returns
    -------
    sessionmaker
        Call it (``with factory() as session, session.begin(): ...``) for a session.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)
