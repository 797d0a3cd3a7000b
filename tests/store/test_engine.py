"""Engine construction: SQLite pragmas, default location, URL handling."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from gazemap.config import DatabaseSettings, Settings
from gazemap.errors import InvalidInputError
from gazemap.store.engine import create_engine_for, engine_from_settings, make_session_factory


def test_sqlite_file_gets_foreign_keys_wal_and_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'deep' / 'er' / 'g.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    finally:
        engine.dispose()
    assert (tmp_path / "deep" / "er" / "g.db").is_file()


def test_sqlite_savepoints_roll_back_only_the_inner_work(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (v INTEGER)")
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            inner = conn.begin_nested()
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            inner.rollback()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT v FROM t")).scalars().all() == [1]
    finally:
        engine.dispose()


def test_default_database_lives_under_gazemap_home(gazemap_home: Path) -> None:
    engine = engine_from_settings(Settings())
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
        assert engine.url.database == str((gazemap_home / "gazemap.db").resolve())
    finally:
        engine.dispose()
    assert (gazemap_home / "gazemap.db").is_file()


def test_plain_postgresql_urls_use_psycopg_3_and_the_pool_settings() -> None:
    engine = create_engine_for(
        "postgresql://u@db.invalid/x", pool=DatabaseSettings(pool_size=7, max_overflow=3)
    )
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.pool.size() == 7  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 3  # type: ignore[attr-defined]
    # the lazy ping replaces SQLAlchemy's ping-at-every-checkout
    assert not engine.pool._pre_ping  # type: ignore[attr-defined]
    engine.dispose()
    always = create_engine_for(
        "postgresql://u@db.invalid/x", pool=DatabaseSettings(ping_after_idle_seconds=0)
    )
    assert always.pool._pre_ping  # type: ignore[attr-defined]
    always.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(admin: Engine, pid: int) -> None:
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):  # the backend exits asynchronously
            gone = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()
            if not gone:
                return
            time.sleep(0.02)


@pytest.mark.postgres
def test_a_connection_idle_past_the_threshold_is_pinged_and_replaced(postgres_url: str) -> None:
    # the server dropped the pooled connection (restart, idle timeout, failover): the
    # next request gets a fresh one instead of an error
    engine = create_engine_for(postgres_url, pool=DatabaseSettings(ping_after_idle_seconds=0.05))
    admin = create_engine_for(postgres_url)
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)
        time.sleep(0.1)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.postgres
def test_a_busy_connection_skips_the_ping_and_a_dead_one_fails_once(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url, pool=DatabaseSettings(ping_after_idle_seconds=3600))
    admin = create_engine_for(postgres_url)
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # reused, no reconnect
        _terminate(admin, first)
        # within the threshold there is no ping: the dead connection surfaces as a
        # disconnect error on this request only (the API answers 503)...
        with pytest.raises(DBAPIError) as info:
            _backend_pid(engine)
        assert info.value.connection_invalidated
        # ...and the pool has already dropped it: the next request reconnects
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_readonly_sessions_run_in_autocommit(postgres_url: str, tmp_path: Path) -> None:
    from gazemap.service.context import ServiceContext

    settings = Settings(environment="test", home=tmp_path, database_url=postgres_url)
    ctx = ServiceContext.from_settings(settings)
    try:
        with ctx.session(readonly=True) as session:
            dbapi = session.connection().connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.autocommit
            session.execute(text("SELECT 1"))
            # no transaction was opened: nothing to COMMIT or ROLL BACK afterwards
            assert dbapi.info.transaction_status == 0  # IDLE
        with ctx.session() as session:
            dbapi = session.connection().connection.dbapi_connection
            assert dbapi is not None
            assert not dbapi.autocommit  # reset on return
    finally:
        ctx.close()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_other_databases_and_garbage_are_refused(url: str) -> None:
    with pytest.raises(InvalidInputError, match="database URL") as info:
        create_engine_for(url)
    assert info.value.field == "database_url"


def test_sqlite_read_then_write_waits_for_a_concurrent_writer_instead_of_failing(
    tmp_path: Path,
) -> None:
    # A deferred transaction that reads, sees another connection commit, then writes,
    # fails at once with "database is locked" in WAL mode; an immediate one waits.
    import threading

    engine = create_engine_for(f"sqlite:///{tmp_path / 'race.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    first_has_read = threading.Event()
    second_committed = threading.Event()
    errors: list[BaseException] = []

    def read_then_write() -> None:
        try:
            with engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                first_has_read.set()
                second_committed.wait(timeout=1.0)
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    def write() -> None:
        first_has_read.wait(timeout=5.0)
        try:
            with engine.begin() as conn:
                conn.execute(text("UPDATE counter SET n = n + 10"))
            second_committed.set()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read_then_write), threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert errors == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 11
    finally:
        engine.dispose()


def test_sqlite_deferred_reader_runs_beside_an_open_writer(tmp_path: Path) -> None:
    # IMMEDIATE would wait for the writer's lock (busy_timeout, then "database is
    # locked"); a DEFERRED read-only transaction reads the last committed snapshot
    engine = create_engine_for(f"sqlite:///{tmp_path / 'readers.db'}")
    reader = engine.execution_options(sqlite_begin="DEFERRED")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE counter (n INTEGER)"))
            conn.execute(text("INSERT INTO counter VALUES (1)"))
        with engine.begin() as writer:
            writer.execute(text("UPDATE counter SET n = 2"))
            with reader.begin() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 1
        with reader.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 2
    finally:
        engine.dispose()


def test_sqlite_begin_mode_is_checked(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'modes.db'}")
    try:
        bad = engine.execution_options(sqlite_begin="EXCLUSIVE; DROP")
        with pytest.raises(InvalidInputError, match="sqlite_begin must be one of"), bad.begin():
            pass
    finally:
        engine.dispose()
