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
