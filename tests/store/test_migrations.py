"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from gazemap.store.engine import create_engine_for
from gazemap.store.migrate import alembic_config, current_revision, downgrade, upgrade
from gazemap.store.models import Base
from tests.store.conftest import NewDatabase


def _differences(url: str) -> list[object]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_matches_the_models_and_downgrade_removes_everything(
    backend: str, new_database: NewDatabase
) -> None:
    url = new_database(backend)
    assert current_revision(url) is None
    upgrade(url)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert current_revision(url) == head
    assert _differences(url) == []
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}

    downgrade(url, "base")
    assert current_revision(url) is None
    assert _tables(url) <= {"alembic_version"}

    upgrade(url)  # and back up again, on the same database
    assert _differences(url) == []


def test_an_empty_database_differs_from_the_models(new_database: NewDatabase) -> None:
    # the comparison above can fail: without migrations every table is reported missing
    url = new_database("sqlite")
    create_engine_for(url).dispose()
    missing = {diff[1].name for diff in _differences(url) if diff[0] == "add_table"}  # type: ignore[index]
    assert missing == set(Base.metadata.tables)


def test_migration_scripts_form_one_line() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    assert scripts.get_base() is not None
    assert scripts.get_revision("head") is not None
