"""The observability wiring of the real API: ids, route templates, access log, ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gazemap.api.app import create_app
from gazemap.api.tokens import encode_token
from gazemap.demo import demo_stimuli
from gazemap.service.context import ServiceContext
from tests.obs.conftest import LogLines
from tests.obs.promtool import check_metrics
from tests.service.fixtures import service_settings
from tests.service.people import make_user, password_hash

__all__ = ["password_hash"]


@pytest.fixture
def app_ctx(tmp_path: Path, sqlite_database: str) -> Iterator[ServiceContext]:
    ctx = ServiceContext.from_settings(service_settings(tmp_path / "home", sqlite_database))
    yield ctx
    ctx.close()


@pytest.fixture
def client(app_ctx: ServiceContext) -> Iterator[TestClient]:
    with TestClient(create_app(app_ctx.settings, context=app_ctx)) as c:
        yield c


@pytest.fixture
def admin_headers(app_ctx: ServiceContext, password_hash: str) -> dict[str, str]:
    actor = make_user(app_ctx, "admin", password_hash)
    token, _ = encode_token(app_ctx.settings, user_id=actor.user_id, typ="access")
    return {"Authorization": f"Bearer {token}", "X-Test-User": str(actor.user_id)}


def upload_demo(client: TestClient, headers: dict[str, str]) -> int:
    study = client.post("/api/v1/studies", headers=headers, json={"name": "obs study"})
    assert study.status_code == 201, study.text
    item = demo_stimuli()[0]
    with item.image_path.open("rb") as image:
        stimulus = client.post(
            f"/api/v1/studies/{study.json()['id']}/stimuli",
            headers=headers,
            files={"image": (item.image_path.name, image, "image/jpeg")},
            data={"name": item.name, "page_key": item.name, "version": "1"},
        )
    assert stimulus.status_code == 201, stimulus.text
    stimulus_id = int(stimulus.json()["id"])
    with item.fixations_csv_path.open("rb") as csv:
        upload = client.post(
            f"/api/v1/stimuli/{stimulus_id}/recordings",
            headers=headers,
            files={"file": (item.fixations_csv_path.name, csv, "text/csv")},
        )
    assert upload.status_code == 201, upload.text
    return stimulus_id


def test_request_ids_reach_the_header_and_problem_bodies(client: TestClient) -> None:
    r = client.get("/api/v1/auth/me", headers={"X-Request-ID": "from-nginx-1"})
    assert r.status_code == 401
    assert r.headers["x-request-id"] == "from-nginx-1"
    assert r.json()["request_id"] == "from-nginx-1"


def test_metrics_endpoint_is_outside_the_api_schema(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    assert client.get("/metrics").status_code == 200


def test_a_real_flow_is_measured_logged_and_lints_clean(
    client: TestClient, admin_headers: dict[str, str], json_logs: LogLines
) -> None:
    stimulus_id = upload_demo(client, admin_headers)
    url = f"/api/v1/stimuli/{stimulus_id}/heatmap?level=2&method=fft"
    first = client.get(url, headers=admin_headers)
    second = client.get(url, headers=admin_headers)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-gazemap-cache"] == "miss"
    assert second.headers["x-gazemap-cache"].startswith("hit")
    text = client.get("/metrics").text

    route = "/api/v1/stimuli/{stimulus_id}/heatmap"
    assert f'gazemap_http_requests_total{{method="GET",route="{route}",status="200"}} 2.0' in text
    assert 'gazemap_heatmap_generation_seconds_count{level="2",method="fft"} 1.0' in text
    points = int(first.headers["x-gazemap-points"])
    assert f"gazemap_kde_points_sum {float(points)}" in text
    assert "gazemap_ingest_recordings_total" in text
    assert 'gazemap_jobs{state="queued"}' in text
    assert "gazemap_db_pool_connections" in text
    assert 'gazemap_cache_operations_total{outcome="hit",tier="memory"}' in text
    assert f"/api/v1/stimuli/{stimulus_id}/" not in text  # ids never become labels
    result = check_metrics(text)
    assert result.returncode == 0, result.stdout + result.stderr

    heatmap_lines = [x for x in json_logs() if x.get("event") == "request" and x["route"] == route]
    miss, hit = heatmap_lines
    assert miss["cache"] == "miss"
    assert hit["cache"].startswith("hit")
    assert miss["user_id"] == admin_headers["X-Test-User"]
    assert miss["params"] == {"level": "2", "method": "fft"}
    assert miss["points"] == points
    upload = next(x for x in json_logs() if x.get("route", "").endswith("/recordings"))
    assert upload["status"] == 201
    assert upload["rows_kept"] > 0
    token = admin_headers["Authorization"].split()[1]
    assert token not in str(json_logs())
