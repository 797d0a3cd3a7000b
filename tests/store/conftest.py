"""Database fixtures: every storage test runs on SQLite and on a private PostgreSQL schema.

Each PostgreSQL database is a fresh schema ``gazemap_test_<random>`` reached through
``search_path``, dropped at the end of the session, so parallel runs never collide.
The schema is built by the real migrations (not ``create_all``), so the tests check
what production runs. Each test runs inside a connection-level transaction that is
rolled back; sessions join it through SAVEPOINTs, so ``session.commit()`` is allowed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gazemap.store.engine import create_engine_for
from gazemap.store.migrate import upgrade

NewDatabase = Callable[[str], str]


@pytest.fixture(scope="session")
def new_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NewDatabase]:
    """Factory: ``new_database("sqlite" | "postgresql")`` returns the URL of an empty database."""
    schemas: list[str] = []
    admin: list[Engine] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            folder: Path = tmp_path_factory.mktemp("db")
            return f"sqlite:///{folder / 'gazemap.db'}"
        base_url = request.getfixturevalue("postgres_url")
        if not admin:
            admin.append(create_engine_for(base_url))
        name = f"gazemap_test_{secrets.token_hex(6)}"
        with admin[0].begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    yield make
    if admin:
        with admin[0].begin() as connection:
            for name in schemas:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin[0].dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or ``"postgresql"``: the database the test runs on."""
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, new_database: NewDatabase) -> Iterator[Engine]:
    """An engine on a migrated database of ``backend``, shared by the session's tests."""
    url = new_database(backend)
    upgrade(url)
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
