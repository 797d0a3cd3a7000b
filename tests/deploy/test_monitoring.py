"""Prometheus config, alert rules (checked and unit-tested by promtool) and the Grafana dashboard."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest
from sqlalchemy import Engine

from gazemap.cache import MemoryCache
from gazemap.obs import build_metrics
from gazemap.service.audit_journal import AuditJournal
from gazemap.store.engine import create_engine_for
from tests.obs.promtool import check_rules, promtool, run_rule_tests

_NAME = re.compile(r"\bgazemap_[a-z_]+")


@pytest.fixture(scope="module")
def exposed_names(sqlite_database: str, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every sample name a fully wired gazemap registry exposes."""
    engine: Engine = create_engine_for(sqlite_database)
    journal = AuditJournal(
        tmp_path_factory.mktemp("journal"), engine, flush_seconds=60, max_pending=10
    )
    try:
        m = build_metrics()
        m.watch(cache=MemoryCache(1024), engine=engine, audit=journal)
        m.requests.labels(method="GET", route="/", status="200").inc()
        text = generate_latest(m.registry).decode()
    finally:
        journal.close()
        engine.dispose()
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            base = name.removesuffix("_total")
            names |= {name, base}
            suffixes = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",)}
            names |= {base + suffix for suffix in suffixes.get(kind, ())}
    return names


def dashboard_exprs(deploy: Path) -> Iterator[tuple[str, str]]:
    board = json.loads((deploy / "grafana/dashboards/gazemap.json").read_text())
    for panel in board["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"]


def test_prometheus_config_and_its_rule_files_are_valid(deploy: Path) -> None:
    import subprocess

    done = subprocess.run(
        [promtool(), "check", "config", str(deploy / "prometheus/prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout


def test_alert_rules_pass_promtool_check(deploy: Path) -> None:
    done = check_rules(deploy / "prometheus/alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    alerts = {
        r["alert"]
        for g in yaml.safe_load((deploy / "prometheus/alerts.yml").read_text())["groups"]
        for r in g["rules"]
    }
    assert {"GazemapHighErrorRate", "GazemapSlowRequests", "GazemapJobBacklog"} <= alerts


def test_alert_rules_fire_when_they_should(deploy: Path) -> None:
    done = run_rule_tests(deploy / "prometheus/alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_a_broken_alert_expectation_fails(deploy: Path, tmp_path: Path) -> None:
    # the unit tests can fail: expect the error-rate alert at 3 minutes, before its "for"
    shutil.copy(deploy / "prometheus/alerts.yml", tmp_path / "alerts.yml")
    text = (deploy / "prometheus/alerts_test.yml").read_text()
    broken = text.replace(
        "- eval_time: 15m\n        alertname: GazemapHighErrorRate",
        "- eval_time: 4m\n        alertname: GazemapHighErrorRate",
        1,
    )
    assert broken != text
    (tmp_path / "alerts_test.yml").write_text(broken)
    assert run_rule_tests(tmp_path / "alerts_test.yml").returncode != 0


def test_every_dashboard_expression_is_valid_promql(deploy: Path, tmp_path: Path) -> None:
    # promtool parses recording rules: one rule per dashboard query checks them all
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr.replace("$__rate_interval", "5m")}
        for i, (_, expr) in enumerate(dashboard_exprs(deploy))
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = check_rules(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(rules) >= 12


def test_dashboard_and_alerts_use_only_metrics_gazemap_exposes(
    deploy: Path, exposed_names: set[str]
) -> None:
    used = {name for _, expr in dashboard_exprs(deploy) for name in _NAME.findall(expr)}
    used |= set(_NAME.findall((deploy / "prometheus/alerts.yml").read_text()))
    assert used, "no gazemap metric referenced"
    assert used <= exposed_names, sorted(used - exposed_names)


def test_dashboard_covers_requests_heatmaps_cache_jobs_ingest_and_pool(deploy: Path) -> None:
    joined = " ".join(expr for _, expr in dashboard_exprs(deploy))
    for family in (
        "gazemap_http_requests_total",
        "gazemap_http_request_duration_seconds_bucket",
        "gazemap_heatmap_generation_seconds_bucket",
        "gazemap_kde_points_bucket",
        "gazemap_cache_requests_total",
        "gazemap_jobs",
        "gazemap_job_duration_seconds_bucket",
        "gazemap_ingest_dropped_rows_total",
        "gazemap_db_pool_connections",
    ):
        assert family in joined, family
    board = json.loads((deploy / "grafana/dashboards/gazemap.json").read_text())
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
