"""Stimuli, recordings and participants through HTTP, with the real OSIE demo files."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from gazemap.api.app import create_app
from gazemap.service.context import ServiceContext
from tests.api.helpers import Account, demo, make_account, upload_demo
from tests.service.fixtures import service_settings


def test_upload_answers_recordings_report_and_id(
    client: TestClient, researcher: Account, study_id: int
) -> None:
    stimulus_id, body = upload_demo(client, researcher.headers, study_id)
    recordings = body["recordings"]
    assert isinstance(recordings, list)
    assert len(recordings) == 15  # one per OSIE participant
    assert body["id"] == recordings[0]["id"]
    assert body["report"]["rows_kept"] > 0  # type: ignore[index]
    stimulus = client.get(f"/api/v1/stimuli/{stimulus_id}", headers=researcher.headers).json()
    assert (stimulus["width"], stimulus["height"]) == (800, 600)
    assert stimulus["participant_count"] == 15
    assert stimulus["data_version"] == 1


def test_stimulus_image_has_etag_and_revalidates(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    url = f"/api/v1/stimuli/{stimulus_id}/image"
    response = client.get(url, headers=researcher.headers)
    assert response.status_code == 200
    image_path, _ = demo()
    assert response.content == image_path.read_bytes()
    assert response.headers["etag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
    assert "max-age" in response.headers["cache-control"]
    again = client.get(
        url, headers={**researcher.headers, "If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_list_stimuli_filters_and_pages(
    client: TestClient, researcher: Account, study_id: int, stimulus_id: int
) -> None:
    upload_demo(client, researcher.headers, study_id, index=1)
    url = f"/api/v1/studies/{study_id}/stimuli"
    everything = client.get(url, headers=researcher.headers).json()
    assert everything["total"] == 2
    page = client.get(url, headers=researcher.headers, params={"limit": 1, "offset": 1}).json()
    assert len(page["items"]) == 1
    assert page["items"][0]["id"] != everything["items"][0]["id"]
    key = client.get(f"/api/v1/stimuli/{stimulus_id}", headers=researcher.headers).json()
    only = client.get(url, headers=researcher.headers, params={"page_key": key["page_key"]})
    assert [s["id"] for s in only.json()["items"]] == [stimulus_id]


def test_duplicate_stimulus_is_409(client: TestClient, researcher: Account, study_id: int) -> None:
    upload_demo(client, researcher.headers, study_id)
    image_path, _ = demo()
    response = client.post(
        f"/api/v1/studies/{study_id}/stimuli",
        headers=researcher.headers,
        files={"image": ("x.jpg", image_path.read_bytes(), "image/jpeg")},
        data={"name": "again", "page_key": image_path.stem, "version": "1"},
    )
    assert response.status_code == 409


def test_not_an_image_is_422(client: TestClient, researcher: Account, study_id: int) -> None:
    response = client.post(
        f"/api/v1/studies/{study_id}/stimuli",
        headers=researcher.headers,
        files={"image": ("x.png", b"this is text", "image/png")},
        data={"name": "x", "page_key": "x"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "location": "form",
        "field": "image",
        "message": response.json()["detail"],
    }


def test_malformed_gaze_file_is_422_naming_the_line(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    text = "t,x,y,participant\n0,10,10,p1\n5,20,20,p1\n10,abc,30,p1\n"
    response = client.post(
        f"/api/v1/stimuli/{stimulus_id}/recordings",
        headers=researcher.headers,
        files={"file": ("broken.csv", text.encode(), "text/csv")},
        data={"format": "generic"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["line"] == 4
    assert "line 4" in problem["detail"]


def test_recordings_list_get_export_delete(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    listed = client.get(
        f"/api/v1/stimuli/{stimulus_id}/recordings", headers=researcher.headers
    ).json()
    assert listed["total"] == 15
    rid = listed["items"][0]["id"]
    one = client.get(f"/api/v1/recordings/{rid}", headers=researcher.headers).json()
    assert one["kind"] == "fixations"

    columns = client.get(f"/api/v1/recordings/{rid}/export", headers=researcher.headers).json()
    assert len(columns["x"]) == one["sample_count"]
    as_csv = client.get(
        f"/api/v1/recordings/{rid}/export", headers=researcher.headers, params={"format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == one["sample_count"]
    assert float(rows[0]["x"]) == pytest.approx(columns["x"][0])

    assert client.delete(f"/api/v1/recordings/{rid}", headers=researcher.headers).status_code == 204
    stimulus = client.get(f"/api/v1/stimuli/{stimulus_id}", headers=researcher.headers).json()
    assert stimulus["recording_count"] == 14
    assert stimulus["data_version"] == 2


def test_viewer_may_not_export(
    client: TestClient, viewer: Account, researcher: Account, stimulus_id: int
) -> None:
    rid = client.get(
        f"/api/v1/stimuli/{stimulus_id}/recordings", headers=researcher.headers
    ).json()["items"][0]["id"]
    response = client.get(f"/api/v1/recordings/{rid}/export", headers=viewer.headers)
    assert response.status_code == 403


def test_participants_are_pseudonymous_and_erasable(
    client: TestClient, researcher: Account, admin: Account, study_id: int, stimulus_id: int
) -> None:
    page = client.get(f"/api/v1/studies/{study_id}/participants", headers=researcher.headers).json()
    assert page["total"] == 15
    first = page["items"][0]
    assert len(first["pseudonym"]) == 64
    assert "s01" not in str(page)
    one = client.get(f"/api/v1/participants/{first['id']}", headers=researcher.headers)
    assert one.json()["recording_count"] == 1
    denied = client.delete(f"/api/v1/participants/{first['id']}", headers=researcher.headers)
    assert denied.status_code == 403
    erased = client.delete(f"/api/v1/participants/{first['id']}", headers=admin.headers)
    assert erased.status_code == 204
    assert (
        client.get(f"/api/v1/participants/{first['id']}", headers=admin.headers).status_code == 404
    )
    stimulus = client.get(f"/api/v1/stimuli/{stimulus_id}", headers=admin.headers).json()
    assert stimulus["participant_count"] == 14


def test_audit_log_is_for_admins(
    client: TestClient, admin: Account, researcher: Account, study_id: int
) -> None:
    assert client.get("/api/v1/audit", headers=researcher.headers).status_code == 403
    page = client.get(
        "/api/v1/audit", headers=admin.headers, params={"study_id": study_id, "limit": 10}
    ).json()
    assert "study.create" in {e["action"] for e in page["items"]}


def test_oversize_upload_is_413(tmp_path: Path, sqlite_database: str, password_hash: str) -> None:
    settings = service_settings(tmp_path / "home", sqlite_database, max_upload_bytes=4096)
    ctx = ServiceContext.from_settings(settings)
    try:
        with TestClient(create_app(settings, context=ctx)) as small:
            researcher = make_account(ctx, small, "researcher", password_hash)
            sid = small.post(
                "/api/v1/studies", headers=researcher.headers, json={"name": "limits"}
            ).json()["id"]
            big = io.BytesIO()
            Image.new("RGB", (400, 400), "white").save(big, format="BMP")
            response = small.post(
                f"/api/v1/studies/{sid}/stimuli",
                headers=researcher.headers,
                files={"image": ("big.bmp", big.getvalue(), "image/bmp")},
                data={"name": "big", "page_key": "big"},
            )
            assert response.status_code == 413
            assert response.headers["content-type"] == "application/problem+json"
            assert "4096" in response.json()["detail"]
    finally:
        ctx.close()


def test_spooled_upload_stops_at_the_limit_and_cleans_up() -> None:
    from gazemap.api.uploads import spooled_upload
    from gazemap.errors import PayloadTooLargeError

    class Upload:
        filename = "../big.csv"

        def __init__(self) -> None:
            self.file = io.BytesIO(b"x" * 10_000)

    with pytest.raises(PayloadTooLargeError), spooled_upload(Upload(), limit=5000):  # type: ignore[arg-type]
        pass
    with spooled_upload(Upload(), limit=20_000) as path:  # type: ignore[arg-type]
        assert path.name == "big.csv"
        assert path.stat().st_size == 10_000
    assert not path.exists()
