"""The metric registry: names, bounded labels, per-app registries, multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from gazemap.cache import MemoryCache
from gazemap.errors import InvalidInputError
from gazemap.obs import build_metrics, multiprocess_dir
from gazemap.obs.metrics import MULTIPROC_ENV

REPO = Path(__file__).resolve().parents[2]


def test_importing_obs_registers_nothing_globally() -> None:
    code = (
        "import gazemap.obs, prometheus_client;"
        "names = {m.name for m in prometheus_client.REGISTRY.collect()};"
        "print(sorted(n for n in names if n.startswith('gazemap')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_fresh_registry_names_every_family() -> None:
    m = build_metrics(version="9.9")
    text = generate_latest(m.registry).decode()
    for name in (
        "gazemap_build_info",
        "gazemap_http_requests_total",
        "gazemap_http_request_duration_seconds",
        "gazemap_http_requests_in_progress",
        "gazemap_heatmap_generation_seconds",
        "gazemap_kde_points",
        "gazemap_ingest_recordings_total",
        "gazemap_ingest_rows_total",
        "gazemap_ingest_dropped_rows_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    assert 'gazemap_build_info{version="9.9"} 1.0' in text


def test_drop_reasons_stay_bounded() -> None:
    m = build_metrics()
    assert m.drop_reason("nan") == "nan"
    for bad in ("", "Has Caps", "x" * 41, "sp ace", "ü"):
        assert m.drop_reason(bad) == "other"
    for i in range(m.MAX_DROP_REASONS * 2):
        m.drop_reason(f"reason_{i}")
    assert len(m._drop_reasons) == m.MAX_DROP_REASONS
    assert m.drop_reason("reason_999") == "other"
    assert m.drop_reason("nan") == "nan"  # known reasons keep their label


def test_watch_adds_and_unwatch_removes_the_cache_collector() -> None:
    m = build_metrics()
    unwatch = m.watch(cache=MemoryCache(1024))
    assert b'gazemap_cache_bytes{tier="memory"}' in generate_latest(m.registry)
    unwatch()
    unwatch()  # twice is harmless
    assert b"gazemap_cache_bytes" not in generate_latest(m.registry)


def test_multiprocess_env_set_after_import_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    with pytest.raises(InvalidInputError, match=f"{MULTIPROC_ENV} must be set before"):
        multiprocess_dir()


def test_no_multiprocess_env_means_single_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    monkeypatch.delenv(MULTIPROC_ENV.lower(), raising=False)
    assert multiprocess_dir() is None
    assert build_metrics().multiprocess is None


def _python(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_multiprocess_mode_sums_processes_and_forgets_dead_gauges(tmp_path: Path) -> None:
    env = {**os.environ, MULTIPROC_ENV: str(tmp_path)}
    worker = """
        import sys
        from gazemap.obs import build_metrics
        m = build_metrics()
        n = int(sys.argv[1]) if len(sys.argv) > 1 else {n}
        for _ in range(n):
            m.requests.labels(method="GET", route="/healthz", status="200").inc()
            m.request_seconds.labels(method="GET", route="/healthz", status="200").observe(0.01)
        m.in_progress.labels(method="GET").inc()
        if {close}:
            m.close()
    """
    _python(worker.format(n=3, close=True), env)
    _python(worker.format(n=4, close=False), env)
    scrape = _python(
        """
        from prometheus_client import generate_latest
        from gazemap.obs import build_metrics
        print(generate_latest(build_metrics().registry).decode())
        """,
        env,
    )
    lines = scrape.splitlines()
    assert 'gazemap_http_requests_total{method="GET",route="/healthz",status="200"} 7.0' in lines
    count = 'gazemap_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 7.0'
    assert count in lines
    # the first process closed: only the second one's in-progress request is live
    assert 'gazemap_http_requests_in_progress{method="GET"} 1.0' in lines
