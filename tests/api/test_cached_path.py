"""What a cached heat map costs the database: one SELECT, nothing written, on both backends.

Not a timing test: it counts the statements a repeated heat-map request sends, which is
what the load figures in docs/performance.md rest on. A second query or a synchronous
audit INSERT on this path would fail here before it showed up in a benchmark.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from gazemap.api.app import create_app
from gazemap.service.context import ServiceContext
from gazemap.store.migrate import upgrade
from gazemap.store.models import AuditEvent
from tests.api.helpers import make_account, upload_demo
from tests.service.fixtures import service_settings
from tests.store.conftest import NewDatabase


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_ctx(
    request: pytest.FixtureRequest, tmp_path: Path, new_database: NewDatabase
) -> Iterator[ServiceContext]:
    url = new_database(str(request.param))
    upgrade(url)
    ctx = ServiceContext.from_settings(service_settings(tmp_path / "home", url))
    yield ctx
    ctx.close()


def _request_statements(ctx: ServiceContext) -> list[str]:
    """Statements sent from now on, except the audit journal's own batch inserts."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not threading.current_thread().name.startswith("gazemap-audit-"):
            sent.append(" ".join(statement.split()))

    event.listen(ctx.engine, "before_cursor_execute", record)
    return sent


def test_a_cached_heat_map_sends_one_select_and_writes_nothing(
    any_ctx: ServiceContext, password_hash: str
) -> None:
    ctx = any_ctx
    with TestClient(create_app(ctx.settings, context=ctx)) as client:
        researcher = make_account(ctx, client, "researcher", password_hash)
        study = client.post("/api/v1/studies", headers=researcher.headers, json={"name": "s"})
        stimulus, _ = upload_demo(client, researcher.headers, int(study.json()["id"]))
        url = f"/api/v1/stimuli/{stimulus}/heatmap?bandwidth=30&level=2&overlay=false"
        first = client.get(url, headers=researcher.headers)
        assert first.headers["x-gazemap-cache"] == "miss"
        sent = _request_statements(ctx)
        again = client.get(url, headers=researcher.headers)
        assert again.status_code == 200
        assert again.headers["x-gazemap-cache"] == "hit-memory"
        assert again.content == first.content
        # the access check (stimulus, study, caller's membership) and nothing else:
        # the actor was looked up by the first request, the audit entry is journalled.
        # (SQLite's read starts with a local BEGIN DEFERRED, see gazemap.store.engine;
        # PostgreSQL reads in autocommit, without BEGIN or COMMIT round trips.)
        queries = [s for s in sent if s != "BEGIN DEFERRED"]
        assert len(queries) == 1, sent
        assert len(sent) == (2 if ctx.engine.dialect.name == "sqlite" else 1), sent
        assert queries[0].startswith("SELECT")
        assert "memberships" in queries[0]
        # ...and both views are audited once the journal is flushed
        assert ctx.audit is not None
        ctx.audit.flush()
        with ctx.session() as session:
            views = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "heatmap.view",
                    AuditEvent.target == f"stimulus:{stimulus}",
                )
            ).all()
        assert [v.outcome for v in views] == ["ok", "ok"]
