"""The heat-map route answers a cached map before any cost estimate; only misses become jobs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gazemap.service import heatmaps
from gazemap.service.context import ServiceContext
from tests.api.helpers import Account


def test_a_cached_map_is_answered_whatever_the_threshold(
    client: TestClient,
    api_ctx: ServiceContext,
    researcher: Account,
    stimulus_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"/api/v1/stimuli/{stimulus_id}/heatmap?level=1&bandwidth=30&overlay=false"
    assert client.get(url, headers=researcher.headers).status_code == 200
    calls: list[object] = []
    real = heatmaps._cost

    def counted(*args: object, **kwargs: object) -> float:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(heatmaps, "_cost", counted)
    monkeypatch.setattr(api_ctx.settings.jobs, "async_cost_threshold", 0.0)
    hit = client.get(url, headers=researcher.headers)
    assert hit.status_code == 200
    assert hit.headers["X-Gazemap-Cache"].startswith("hit-")
    assert calls == []  # a hit never pays for a cost estimate
    miss = client.get(url.replace("bandwidth=30", "bandwidth=31"), headers=researcher.headers)
    assert miss.status_code == 202
    assert miss.headers["Location"].startswith("/api/v1/jobs/")
    assert len(calls) == 1
