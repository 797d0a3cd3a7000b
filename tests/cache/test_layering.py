"""The cache sits below the service layer and imports nothing heavy it does not need."""

from __future__ import annotations

import json
import subprocess
import sys


def loaded_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


def test_importing_the_cache_loads_no_upper_layer_and_no_client_library() -> None:
    loaded = loaded_after("import gazemap.cache")
    forbidden = {"gazemap.service", "gazemap.api", "gazemap.store", "fastapi", "sqlalchemy"}
    assert not forbidden & loaded
    # Redis and Prometheus are loaded only when a RedisCache or the collector is made
    assert "redis" not in loaded
    assert "prometheus_client" not in loaded
    assert "gazemap.cache.metrics" not in loaded


def test_metrics_module_stays_below_the_service_layer() -> None:
    loaded = loaded_after("import gazemap.cache.metrics")
    assert not {"gazemap.service", "gazemap.api", "gazemap.store"} & loaded
