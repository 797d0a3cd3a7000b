"""The middleware on a tiny Starlette app: request ids, route labels, access log, metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from gazemap.obs import build_metrics
from gazemap.obs.middleware import UNMATCHED
from tests.obs.apps import GOOD_TOKEN, USER_ID, tiny_app
from tests.obs.conftest import LogLines


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest.fixture
def metrics():  # type: ignore[no-untyped-def]
    return build_metrics(version="test")


@pytest.fixture
def client(metrics, tmp_path: Path):  # type: ignore[no-untyped-def]
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.js").write_text("console.log(1)")
    with TestClient(tiny_app(metrics, str(static)), raise_server_exceptions=False) as c:
        yield c


def access_lines(lines: LogLines) -> list[dict]:  # type: ignore[type-arg]
    return [line for line in lines() if line.get("event") == "request"]


def test_a_valid_request_id_is_echoed_and_logged(client, json_logs: LogLines) -> None:
    r = client.get("/items/5", headers={"X-Request-ID": "edge-1234:a"})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "edge-1234:a"
    (line,) = access_lines(json_logs)
    assert line["request_id"] == "edge-1234:a"
    inside = [x for x in json_logs() if x["event"] == "inside the route"]
    assert inside[0]["request_id"] == "edge-1234:a"  # bound for every event of the request


@pytest.mark.parametrize("given", [None, b"", b"has space", b'quote"', b"x" * 129, "é".encode()])
def test_a_missing_or_unsafe_request_id_is_replaced(client, given: bytes | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given}
    r = client.get("/items/5", headers=headers)
    rid = r.headers["x-request-id"]
    assert rid != given
    assert len(rid) == 32
    assert all(c in "0123456789abcdef" for c in rid)


def test_every_request_gets_its_own_id(client) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_metrics_use_the_route_template_not_the_path(client, metrics) -> None:
    for item in ("1", "2", "3"):
        client.get(f"/items/{item}")
    labels = {"method": "GET", "route": "/items/{item_id}", "status": "200"}
    assert sample(metrics.registry, "gazemap_http_requests_total", **labels) == 3
    assert sample(metrics.registry, "gazemap_http_request_duration_seconds_count", **labels) == 3
    body = client.get("/metrics").text
    assert "/items/1" not in body
    assert 'route="/items/{item_id}"' in body


def test_unmatched_paths_share_one_label(client, metrics) -> None:
    for path in ("/nope/1", "/nope/2", "/etc/passwd"):
        assert client.get(path).status_code == 404
    labels = {"method": "GET", "route": UNMATCHED, "status": "404"}
    assert sample(metrics.registry, "gazemap_http_requests_total", **labels) == 3


def test_a_mount_is_one_label(client, metrics) -> None:
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/missing.js").status_code == 404
    assert (
        sample(
            metrics.registry,
            "gazemap_http_requests_total",
            method="GET",
            route="/static/{path}",
            status="200",
        )
        == 1
    )


def test_access_line_has_user_params_duration_and_no_secrets(client, json_logs: LogLines) -> None:
    client.get(
        "/items/9?level=2&gender=f&gender=m&access_token=eyJhbGciOi.eyJzdWIiOi.sig&password=pw",
        headers={"Authorization": f"Bearer {GOOD_TOKEN}"},
    )
    (line,) = access_lines(json_logs)
    assert line["user_id"] == USER_ID
    assert line["route"] == "/items/{item_id}"
    assert line["path"] == "/items/9"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["params"]["level"] == "2"
    assert line["params"]["gender"] == ["f", "m"]
    assert line["params"]["access_token"] == "[redacted]"
    assert line["params"]["password"] == "[redacted]"
    assert line["study_id"] == 7  # annotate() from a sync route in the thread pool
    assert line["level"] == "info"
    text = str(json_logs())
    assert "eyJhbGciOi" not in text
    assert GOOD_TOKEN not in text


def test_an_unverified_caller_is_logged_without_a_user(client, json_logs: LogLines) -> None:
    client.get("/items/9", headers={"Authorization": "Bearer forged"})
    (line,) = access_lines(json_logs)
    assert line["user_id"] is None
    assert "forged" not in str(json_logs())


def test_a_computed_heatmap_observes_generation_time_and_points(client, metrics) -> None:
    client.get("/api/v1/stimuli/3/heatmap?cache=miss&method=fft")
    client.get("/api/v1/stimuli/3/heatmap?cache=hit-memory&method=fft")
    client.get("/api/v1/stimuli/3/heatmap?cache=shared&method=exact")
    reg = metrics.registry
    assert sample(reg, "gazemap_heatmap_generation_seconds_count", method="fft", level="2") == 1
    assert sample(reg, "gazemap_heatmap_generation_seconds_count", method="exact", level="2") == 0
    assert sample(reg, "gazemap_kde_points_count") == 1
    assert sample(reg, "gazemap_kde_points_sum") == 1500
    route = "/api/v1/stimuli/{stimulus_id}/heatmap"
    assert sample(reg, "gazemap_http_requests_total", method="GET", route=route, status="200") == 3


def test_heatmap_cache_outcome_and_points_are_logged(client, json_logs: LogLines) -> None:
    client.get("/api/v1/stimuli/3/heatmap?cache=hit-redis")
    (line,) = access_lines(json_logs)
    assert line["cache"] == "hit-redis"
    assert line["points"] == 1500
    assert line["kde_method"] == "fft"
    assert line["kde_level"] == "2"
    assert line["method"] == "GET"
    assert line["level"] == "info"


def test_an_upload_counts_rows_and_bounded_drop_reasons(client, metrics, json_logs) -> None:
    r = client.post("/api/v1/stimuli/3/recordings", content=b"t,x,y\n")
    assert r.status_code == 201
    assert r.json()["report"]["rows_kept"] == 100  # the body still reaches the client whole
    reg = metrics.registry
    assert sample(reg, "gazemap_ingest_recordings_total") == 2
    assert sample(reg, "gazemap_ingest_rows_total") == 100
    assert sample(reg, "gazemap_ingest_dropped_rows_total", reason="nan") == 7
    assert sample(reg, "gazemap_ingest_dropped_rows_total", reason="other") == 3
    (line,) = access_lines(json_logs)
    assert (line["rows_kept"], line["rows_dropped"], line["recordings"]) == (100, 10, 2)


def test_a_failing_route_counts_500_logs_the_traceback_and_keeps_the_id(
    client, metrics, json_logs: LogLines
) -> None:
    r = client.get("/fail", headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500
    assert (
        sample(
            metrics.registry,
            "gazemap_http_requests_total",
            method="GET",
            route="/fail",
            status="500",
        )
        == 1
    )
    (line,) = access_lines(json_logs)
    assert line["level"] == "error"
    assert line["request_id"] == "req-500"
    assert "boom in the route" in line["exception"]


def test_streaming_bodies_are_counted_whole(client, json_logs: LogLines) -> None:
    r = client.get("/stream")
    assert len(r.content) == 3000
    (line,) = access_lines(json_logs)
    assert line["bytes"] == 3000


def test_probes_are_logged_at_debug(client, json_logs: LogLines) -> None:
    client.get("/healthz")
    (line,) = access_lines(json_logs)
    assert line["level"] == "debug"


def test_in_progress_returns_to_zero(client, metrics) -> None:
    client.get("/items/1")
    client.get("/fail")
    assert sample(metrics.registry, "gazemap_http_requests_in_progress", method="GET") == 0


def test_two_apps_count_separately(tmp_path: Path) -> None:
    a, b = build_metrics(), build_metrics()
    with TestClient(tiny_app(a)) as ca, TestClient(tiny_app(b)):
        ca.get("/items/1")
    labels = {"method": "GET", "route": "/items/{item_id}", "status": "200"}
    assert sample(a.registry, "gazemap_http_requests_total", **labels) == 1
    assert sample(b.registry, "gazemap_http_requests_total", **labels) == 0
