"""The live ``/metrics`` output passes ``promtool check metrics`` with every family populated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from gazemap.cache import MemoryCache
from gazemap.obs import build_metrics
from gazemap.service.audit_journal import AuditJournal
from gazemap.store.engine import create_engine_for
from tests.obs.apps import tiny_app
from tests.obs.promtool import check_metrics


@pytest.fixture
def engine(sqlite_database: str) -> Iterator[Engine]:
    eng = create_engine_for(sqlite_database)
    yield eng
    eng.dispose()


def test_live_metrics_pass_promtool(engine: Engine, tmp_path: Path) -> None:
    m = build_metrics()
    journal = AuditJournal(tmp_path / "journal", engine, flush_seconds=3600, max_pending=10)
    m.watch(cache=MemoryCache(4096), engine=engine, audit=journal)
    with TestClient(tiny_app(m), raise_server_exceptions=False) as client:
        client.get("/items/1")
        client.get("/nowhere")
        client.get("/fail")
        client.get("/api/v1/stimuli/1/heatmap?cache=miss")
        client.post("/api/v1/stimuli/1/recordings", content=b"x")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    for family in (
        "gazemap_http_requests_total",
        "gazemap_heatmap_generation_seconds_bucket",
        "gazemap_ingest_dropped_rows_total",
        "gazemap_cache_operations_total",
        "gazemap_db_pool_connections",
        "gazemap_jobs",
        "gazemap_job_duration_seconds_bucket",
        "gazemap_audit_pending_entries",
        "gazemap_audit_flush_errors_total",
    ):
        assert f"\n{family}" in text, family
    result = check_metrics(text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


def test_promtool_catches_a_bad_name() -> None:
    # the check can fail: a counter without _total is a lint problem
    bad = "# HELP foo_seconds x\n# TYPE foo_seconds counter\nfoo_seconds 1\n"
    result = check_metrics(bad)
    assert result.returncode != 0
    assert "_total" in result.stdout + result.stderr
