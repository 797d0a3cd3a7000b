"""Background heat maps through HTTP on the local runner: 202, poll, result from the cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gazemap.api.app import create_app
from gazemap.config import JobSettings
from gazemap.service.context import ServiceContext
from tests.api.helpers import Account, make_account, upload_demo
from tests.service.fixtures import service_settings

#: Polls before giving up (each waits a little; no assertion on time).
POLLS = 400


def _wait(client: TestClient, headers: dict[str, str], location: str) -> dict[str, object]:
    for _ in range(POLLS):
        job: dict[str, object] = client.get(location, headers=headers).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job at {location} did not finish: {job}")


def test_async_heatmap_lifecycle(client: TestClient, researcher: Account, stimulus_id: int) -> None:
    params = {"bandwidth": "25", "async": "true"}
    response = client.get(
        f"/api/v1/stimuli/{stimulus_id}/heatmap", headers=researcher.headers, params=params
    )
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/api/v1/jobs/{response.json()['id']}"
    assert response.json()["status"] in ("queued", "running", "done")

    job = _wait(client, researcher.headers, location)
    assert job["status"] == "done", job
    assert job["progress"] == 1.0
    result = client.get(str(job["result_url"]), headers=researcher.headers)
    assert result.status_code == 200
    assert result.headers["content-type"] == "image/png"
    assert result.headers["x-gazemap-cache"].startswith("hit")


def test_jobs_of_other_studies_are_404(
    client: TestClient, researcher: Account, outsider: Account, stimulus_id: int
) -> None:
    response = client.get(
        f"/api/v1/stimuli/{stimulus_id}/heatmap",
        headers=researcher.headers,
        params={"async": "true", "format": "json"},
    )
    location = response.headers["location"]
    assert client.get(location, headers=outsider.headers).status_code == 404
    assert client.get("/api/v1/jobs/no-such-job", headers=researcher.headers).status_code == 404
    _wait(client, researcher.headers, location)


def test_prerender_fills_the_cache(
    client: TestClient, researcher: Account, study_id: int, stimulus_id: int
) -> None:
    response = client.post(
        f"/api/v1/studies/{study_id}/prerender",
        headers=researcher.headers,
        json={"param_sets": [{"bandwidth": 20, "weight": "count"}, {"bandwidth": 50}]},
    )
    assert response.status_code == 202, response.text
    job = _wait(client, researcher.headers, response.headers["location"])
    assert job["status"] == "done", job
    cached = client.get(
        f"/api/v1/stimuli/{stimulus_id}/heatmap",
        headers=researcher.headers,
        params={"bandwidth": "50", "format": "json"},
    )
    assert cached.headers["x-gazemap-cache"].startswith("hit")
    bad = client.post(
        f"/api/v1/studies/{study_id}/prerender",
        headers=researcher.headers,
        json={"param_sets": [{"kernel": "square"}]},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "kernel"


@pytest.fixture
def eager_jobs(
    tmp_path: Path, sqlite_database: str, password_hash: str
) -> Iterator[tuple[TestClient, Account]]:
    settings = service_settings(
        tmp_path / "home", sqlite_database, jobs=JobSettings(async_cost_threshold=1.0)
    )
    ctx = ServiceContext.from_settings(settings)
    try:
        with TestClient(create_app(settings, context=ctx)) as client:
            yield client, make_account(ctx, client, "researcher", password_hash)
    finally:
        ctx.close()


def test_costly_requests_become_jobs(eager_jobs: tuple[TestClient, Account]) -> None:
    client, researcher = eager_jobs
    study = client.post("/api/v1/studies", headers=researcher.headers, json={"name": "costly"})
    sid, _ = upload_demo(client, researcher.headers, study.json()["id"])
    response = client.get(f"/api/v1/stimuli/{sid}/heatmap", headers=researcher.headers)
    assert response.status_code == 202
    assert _wait(client, researcher.headers, response.headers["location"])["status"] == "done"
