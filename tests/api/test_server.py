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

from gazemap.api.uploads import FORM_OVERHEAD
from tests.api.server import LiveServer, live_server, run_cli, server_env

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "live server admin password"
UPLOAD_LIMIT = 2_000_000


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's ``GAZEMAP_HOME`` (its SQLite database and blob folder)."""
    return tmp_path_factory.mktemp("live") / "home"


@pytest.fixture(scope="module")
def server_tmp(home: Path) -> Path:
    """The server's ``TMPDIR``: where upload spools would land."""
    folder = home.parent / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def server(home: Path, server_tmp: Path) -> Iterator[LiveServer]:
    env = server_env(
        home, GAZEMAP_NEW_PASSWORD=ADMIN_PASSWORD, GAZEMAP_MAX_UPLOAD_BYTES=str(UPLOAD_LIMIT)
    )
    env["TMPDIR"] = str(server_tmp)
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


def blank_stimulus(http: httpx.Client, study_name: str) -> int:
    """A new study with one blank 100×80 stimulus; its id."""
    study = http.post("/api/v1/studies", json={"name": study_name}).json()
    blank = io.BytesIO()
    Image.new("RGB", (100, 80), "white").save(blank, format="PNG")
    response = http.post(
        f"/api/v1/studies/{study['id']}/stimuli",
        files={"image": ("blank.png", blank.getvalue(), "image/png")},
        data={"name": "blank", "page_key": "blank"},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_oversize_and_malformed_uploads_over_tcp(http: httpx.Client, tmp_path: Path) -> None:
    sid = blank_stimulus(http, "bad files")
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


#: Size of the chunked upload below: far beyond the limit and any socket buffers.
STREAM_TOTAL = 64 * 2**20
STREAM_CHUNK = 64 * 2**10


class ChunkedUpload:
    """A multipart gaze-file upload produced chunk by chunk, counting what was taken.

    Given to httpx as ``content=``, an iterator is sent with ``Transfer-Encoding:
    chunked`` and no ``Content-Length``, so the server cannot refuse it up front.
    """

    boundary = "gazemap-stream-boundary"

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0
        self.finished = False

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __iter__(self) -> Iterator[bytes]:
        head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="stream.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
            "t,x,y,participant\r\n"
        ).encode()
        yield from self._count(head)
        rows = b"0,1,2,p\n" * (STREAM_CHUNK // 8)
        while self.sent < self.total:
            yield from self._count(rows)
        yield from self._count(f"\r\n--{self.boundary}--\r\n".encode())
        self.finished = True

    def _count(self, chunk: bytes) -> Iterator[bytes]:
        self.sent += len(chunk)
        yield chunk


def test_a_chunked_upload_over_the_limit_is_refused_while_streaming(
    http: httpx.Client, home: Path, server_tmp: Path
) -> None:
    sid = blank_stimulus(http, "streamed too much")
    blobs = home / "blobs"
    blobs_before = sorted(p.name for p in blobs.rglob("*") if p.is_file())
    stream = ChunkedUpload(STREAM_TOTAL)

    refused = http.post(
        f"/api/v1/stimuli/{sid}/recordings",
        content=iter(stream),
        headers={"Content-Type": stream.content_type},
    )

    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("#payload-too-large")
    assert "while streaming" in problem["detail"]
    assert str(UPLOAD_LIMIT) in problem["detail"]
    # the server stopped reading at the limit: the client could push at most what the
    # socket buffers hold on top of it, nowhere near the whole stream
    assert not stream.finished
    assert UPLOAD_LIMIT + FORM_OVERHEAD < stream.sent < STREAM_TOTAL // 2
    # nothing of the refused upload was stored or left spooled
    listed = http.get(f"/api/v1/stimuli/{sid}/recordings").json()
    assert listed["items"] == []
    assert sorted(p.name for p in blobs.rglob("*") if p.is_file()) == blobs_before
    assert [p for p in server_tmp.rglob("*") if p.is_file()] == []

    accepted = http.post(
        f"/api/v1/stimuli/{sid}/recordings",
        files={"file": ("small.csv", b"t,x,y,participant\n0,10,20,p1\n100,30,40,p1\n")},
        data={"format": "generic"},
    )
    assert accepted.status_code == 201, accepted.text
    assert len(http.get(f"/api/v1/stimuli/{sid}/recordings").json()["items"]) > 0
