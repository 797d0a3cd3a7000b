"""A database that drops its connections (restart, failover) through the whole app.

Real PostgreSQL: the app's connections carry their own ``application_name`` and are
terminated with ``pg_terminate_backend``, which is what a server restart does to them.
The pool's idle ping is set to an hour, so the dead connection is really handed to the
next request (the case the lazy ping leaves open under load).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from gazemap.api.app import create_app
from gazemap.api.database_outage import DATABASE_UNAVAILABLE, is_outage
from gazemap.config import DatabaseSettings
from gazemap.service.context import ServiceContext
from gazemap.store.engine import create_engine_for
from gazemap.store.migrate import upgrade
from tests.api.helpers import Account, make_account
from tests.service.fixtures import service_settings
from tests.store.conftest import NewDatabase

pytestmark = pytest.mark.postgres


@pytest.fixture
def outage(
    tmp_path: Path, new_database: NewDatabase, postgres_url: str
) -> Iterator[tuple[ServiceContext, str]]:
    name = f"gazemap-outage-{secrets.token_hex(4)}"
    url = new_database("postgresql")
    upgrade(url)
    tagged = make_url(url).update_query_dict({"application_name": name})
    settings = service_settings(
        tmp_path / "home",
        tagged.render_as_string(hide_password=False),
        db=DatabaseSettings(ping_after_idle_seconds=3600),
    )
    ctx = ServiceContext.from_settings(settings)
    yield ctx, name
    ctx.close()


def _drop_connections(postgres_url: str, name: str) -> int:
    admin = create_engine_for(postgres_url)
    try:
        with admin.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name"
                    ),
                    {"name": name},
                ).scalar_one()
            )
    finally:
        admin.dispose()


def _names(client: TestClient, account: Account) -> list[str]:
    page = client.get("/api/v1/studies", headers=account.headers)
    assert page.status_code == 200, page.text
    return [s["name"] for s in page.json()["items"]]


def test_a_read_is_retried_and_a_write_is_refused_with_503_when_connections_drop(
    outage: tuple[ServiceContext, str],
    postgres_url: str,
    password_hash: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx, name = outage
    with TestClient(create_app(ctx.settings, context=ctx)) as client:
        researcher = make_account(ctx, client, "researcher", password_hash)
        made = client.post("/api/v1/studies", headers=researcher.headers, json={"name": "before"})
        assert made.status_code == 201, made.text
        assert _names(client, researcher) == ["before"]

        # a read over a dead pooled connection: retried once on a fresh one, answered
        assert _drop_connections(postgres_url, name) >= 1
        with caplog.at_level(logging.WARNING, logger="gazemap.api"):
            assert _names(client, researcher) == ["before"]
        assert "retrying once on a fresh one" in caplog.text

        # a write is not run twice: 503 with Retry-After, and nothing of it stored
        assert _drop_connections(postgres_url, name) >= 1
        refused = client.post("/api/v1/studies", headers=researcher.headers, json={"name": "x"})
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "2"
        problem = refused.json()
        assert problem["type"].endswith(DATABASE_UNAVAILABLE.type)
        assert "nothing of this request was stored" in problem["detail"]
        assert problem["request_id"] == refused.headers["x-request-id"]
        assert _names(client, researcher) == ["before"]
        # the client's retry goes through on the pool's fresh connection
        again = client.post("/api/v1/studies", headers=researcher.headers, json={"name": "x"})
        assert again.status_code == 201, again.text
        assert sorted(_names(client, researcher)) == ["before", "x"]
        # both answers are counted under their route (a retry re-routes the same scope)
        metrics = client.get("/metrics").text
        assert 'method="POST",route="/api/v1/studies",status="503"} 1.0' in metrics
        assert 'method="GET",route="/api/v1/studies",status="200"} 4.0' in metrics


def test_only_connection_failures_count_as_an_outage() -> None:
    refused = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert is_outage(refused)
    assert not is_outage(ValueError("not a database error"))


def test_a_database_that_refuses_connections_is_a_503_not_a_500(
    tmp_path: Path, new_database: NewDatabase, postgres_url: str, password_hash: str
) -> None:
    # the app signs in as its own role; "the server is down" is that role losing its
    # login and its connections, which leaves the shared test server running
    url = new_database("postgresql")
    upgrade(url)
    role = f"gazemap_outage_{secrets.token_hex(4)}"
    schema = make_url(url).query["options"].removeprefix("-csearch_path=")
    admin = create_engine_for(postgres_url)
    with admin.begin() as connection:
        for sql in (
            f'CREATE ROLE "{role}" LOGIN',
            f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
            f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
            f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        ):
            connection.exec_driver_sql(sql)
    as_role = make_url(url).set(username=role, password=None)
    settings = service_settings(tmp_path / "home", as_role.render_as_string(hide_password=False))
    ctx = ServiceContext.from_settings(settings)
    try:
        with TestClient(create_app(settings, context=ctx)) as client:
            researcher = make_account(ctx, client, "researcher", password_hash)
            assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 200
            with admin.begin() as connection:
                connection.exec_driver_sql(f'ALTER ROLE "{role}" NOLOGIN')
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE usename = :role"
                    ),
                    {"role": role},
                )
            # the dropped connection is retried once, and the retry cannot connect
            down = client.get("/api/v1/studies", headers=researcher.headers)
            assert down.status_code == 503, down.text
            assert down.json()["type"].endswith(DATABASE_UNAVAILABLE.type)
            assert down.headers["retry-after"] == "2"
            assert client.get("/readyz").status_code == 503
            with admin.begin() as connection:
                connection.exec_driver_sql(f'ALTER ROLE "{role}" LOGIN')
            # back: the pool reconnects by itself
            assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 200
    finally:
        ctx.close()
        with admin.begin() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()
