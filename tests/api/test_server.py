"""End to end over TCP: a real ``gazemap serve`` process, set up with the CLI, driven by httpx."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.api.server import LiveServer, live_server, run_cli, server_env

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "live server admin password"
UPLOAD_LIMIT = 2_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("live") / "home"
    env = server_env(
        home, GAZEMAP_NEW_PASSWORD=ADMIN_PASSWORD, GAZEMAP_MAX_UPLOAD_BYTES=str(UPLOAD_LIMIT)
    )
    run_cli("db", "upgrade", env=env)
    run_cli("users", "create", "boss", "--role", "admin", env=env)
    with live_server(env, home.parent / "server.log") as live:
        yield live


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "boss", "password": ADMIN_PASSWORD}
        )
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


def test_health_and_docs_need_no_token(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert spec["info"]["title"] == "gazemap"
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert httpx.get(f"{server.url}/api/v1/studies").status_code == 401


def test_main_flow_over_tcp(http: httpx.Client) -> None:
    from gazemap.demo import demo_stimuli

    study = http.post("/api/v1/studies", json={"name": "live OSIE"})
    assert study.status_code == 201
    item = demo_stimuli()[0]
    stimulus = http.post(
        f"/api/v1/studies/{study.json()['id']}/stimuli",
        files={"image": (item.image_path.name, item.image_path.read_bytes(), "image/jpeg")},
        data={"name": item.name, "page_key": item.name},
    )
    assert stimulus.status_code == 201, stimulus.text
    sid = stimulus.json()["id"]
    upload = http.post(
        f"/api/v1/stimuli/{sid}/recordings",
        files={"file": (item.fixations_csv_path.name, item.fixations_csv_path.read_bytes())},
    )
    assert upload.status_code == 201, upload.text
    assert len(upload.json()["recordings"]) == item.n_participants

    url = f"/api/v1/stimuli/{sid}/heatmap"
    png = http.get(url, params={"bandwidth": "35"})
    assert png.status_code == 200
    assert Image.open(io.BytesIO(png.content)).size == (item.width, item.height)
    again = http.get(
        url, params={"bandwidth": "35"}, headers={"If-None-Match": png.headers["etag"]}
    )
    assert again.status_code == 304

    as_json = http.get(url, params={"bandwidth": "35", "format": "json"}).json()
    as_npy = http.get(url, params={"bandwidth": "35", "format": "npy"})
    grid = np.load(io.BytesIO(as_npy.content), allow_pickle=False)
    np.testing.assert_array_equal(grid, np.array(as_json["density"]))

    job = http.get(url, params={"bandwidth": "45", "async": "true"})
    assert job.status_code == 202
    for _ in range(600):
        state = http.get(job.headers["location"]).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert state["status"] == "done", state
    assert http.get(state["result_url"]).headers["x-gazemap-cache"].startswith("hit")


def test_oversize_and_malformed_uploads_over_tcp(http: httpx.Client, tmp_path: Path) -> None:
    study = http.post("/api/v1/studies", json={"name": "bad files"}).json()
    blank = io.BytesIO()
    Image.new("RGB", (100, 80), "white").save(blank, format="PNG")
    sid = http.post(
        f"/api/v1/studies/{study['id']}/stimuli",
        files={"image": ("blank.png", blank.getvalue(), "image/png")},
        data={"name": "blank", "page_key": "blank"},
    ).json()["id"]
    broken = http.post(
        f"/api/v1/stimuli/{sid}/recordings",
        files={"file": ("broken.csv", b"t,x,y,participant\n0,1,2,p\n1,oops,2,p\n")},
        data={"format": "generic"},
    )
    assert broken.status_code == 422
    assert broken.json()["line"] == 3
    assert broken.headers["content-type"] == "application/problem+json"
    too_big = http.post(
        f"/api/v1/stimuli/{sid}/recordings",
        files={"file": ("huge.csv", b"t,x,y,participant\n" + b"0,1,2,p\n" * 400_000)},
    )
    assert too_big.status_code == 413
    assert str(UPLOAD_LIMIT) in too_big.json()["detail"]
