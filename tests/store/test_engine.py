"""Engine construction: SQLite pragmas, default location, URL handling."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from gazemap.config import Settings
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


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    engine = create_engine_for("postgresql://u@db.invalid/x")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    engine.dispose()


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
