"""Privacy end to end: raw participant ids, passwords and tokens never reach the logs or the
database; erasure removes a person's recordings, blobs and influence on the heat map."""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gazemap.service.context import ServiceContext
from gazemap.store.models import AuditEvent, Participant, Recording
from tests.api.helpers import PASSWORD, Account
from tests.service.gazefiles import fixation_csv
from tests.service.people import unique_image

P = "/api/v1"
#: Raw participant ids as a lab would write them: names and e-mail addresses.
RAW_IDS = tuple(f"{name}.{secrets.token_hex(3)}@lab.example" for name in ("ada", "bo", "cy", "di"))
PEOPLE = tuple(
    (raw, gender, age, "EyeLink 1000")
    for raw, gender, age in zip(RAW_IDS, ("f", "m", "f", "m"), (24, 31, 45, 52), strict=True)
)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line (gazemap's pipeline at DEBUG, SQLAlchemy's included) in one buffer."""
    from gazemap.obs.logs import configure_logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buffer = io.StringIO()
    configure_logging(format="json", level="DEBUG", stream=buffer)
    engine_log = logging.getLogger("sqlalchemy.engine")
    engine_level = engine_log.level
    engine_log.setLevel(logging.INFO)  # statements and their parameters
    try:
        yield buffer
    finally:
        engine_log.setLevel(engine_level)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def new_stimulus(client: TestClient, headers: dict[str, str], study_id: int, name: str) -> int:
    response = client.post(
        f"{P}/studies/{study_id}/stimuli",
        headers=headers,
        files={"image": (f"{name}.png", io.BytesIO(unique_image(800, 600, study_id)), "image/png")},
        data={"name": name, "page_key": name},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def upload_people(
    client: TestClient, headers: dict[str, str], stimulus_id: int, folder: Path, name: str
) -> None:
    # a seed per upload: gaze blobs are content-addressed, and one shared with another
    # test's rows would rightly survive the erasure
    seed = secrets.randbelow(2**32)
    csv = fixation_csv(folder / "people.csv", PEOPLE, stimulus=name, per_person=8, seed=seed)
    with csv.open("rb") as handle:
        response = client.post(
            f"{P}/stimuli/{stimulus_id}/recordings",
            headers=headers,
            files={"file": ("people.csv", handle, "text/csv")},
        )
    assert response.status_code == 201, response.text


def density(client: TestClient, headers: dict[str, str], stimulus_id: int) -> np.ndarray:
    response = client.get(
        f"{P}/stimuli/{stimulus_id}/heatmap",
        headers=headers,
        params={"format": "json", "cols": 80, "rows": 60, "bandwidth": 30},
    )
    assert response.status_code == 200, response.text
    return np.asarray(response.json()["density"], dtype=float)


def test_logs_never_hold_raw_ids_passwords_or_tokens(
    captured_logs: io.StringIO,
    client: TestClient,
    api_ctx: ServiceContext,
    admin: Account,
    researcher: Account,
    study_id: int,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    signed = client.post(
        f"{P}/auth/token", data={"username": researcher.username, "password": PASSWORD}
    )
    assert signed.status_code == 200
    pair = signed.json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    failed = client.post(
        f"{P}/auth/token", data={"username": researcher.username, "password": "Wr0ng-" + PASSWORD}
    )
    assert failed.status_code == 401
    stimulus_id = new_stimulus(client, headers, study_id, "privacy-page")
    upload_people(client, headers, stimulus_id, tmp_path, "privacy-page")
    density(client, headers, stimulus_id)
    refreshed = client.post(f"{P}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    found = client.get(f"{P}/studies/{study_id}/participants", headers=headers).json()
    victim = found["items"][0]["id"]
    erased = client.delete(f"{P}/participants/{victim}", headers=admin.headers)
    assert erased.status_code == 204
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    logged = (
        captured_logs.getvalue()
        + "\n".join(r.getMessage() for r in caplog.records)
        + metrics.text  # metrics are held to the same rule
    )
    assert f"/api/v1/participants/{victim}" in logged  # the capture did see the flow
    secrets_seen = {
        "raw participant id": [raw for raw in RAW_IDS if raw in logged],
        "password": [p for p in (PASSWORD, "Wr0ng-" + PASSWORD) if p in logged],
        "access token": [pair["access_token"]] if pair["access_token"] in logged else [],
        "refresh token": [pair["refresh_token"]] if pair["refresh_token"] in logged else [],
        "rotated tokens": [
            t for t in refreshed.json().values() if str(t) in logged and len(str(t)) > 20
        ],
        "admin token": [admin.headers["Authorization"]]
        if admin.headers["Authorization"].split()[1] in logged
        else [],
    }
    assert not any(secrets_seen.values()), secrets_seen


def test_raw_ids_never_reach_the_database(
    client: TestClient,
    api_ctx: ServiceContext,
    researcher: Account,
    study_id: int,
    tmp_path: Path,
) -> None:
    stimulus_id = new_stimulus(client, researcher.headers, study_id, "db-page")
    upload_people(client, researcher.headers, stimulus_id, tmp_path, "db-page")
    url = api_ctx.settings.resolved_database_url
    assert url.startswith("sqlite:///")
    api_ctx.engine.dispose()  # flush WAL pages into the file
    raw_bytes = Path(url.removeprefix("sqlite:///")).read_bytes()
    for raw in RAW_IDS:
        assert raw.encode() not in raw_bytes
    with api_ctx.session() as session:
        pseudonyms = session.scalars(
            select(Participant.pseudonym).where(Participant.study_id == study_id)
        ).all()
    assert len(pseudonyms) == len(RAW_IDS)
    assert all(len(p) == 64 and p not in RAW_IDS for p in pseudonyms)


def test_erasure_end_to_end(
    client: TestClient,
    api_ctx: ServiceContext,
    admin: Account,
    researcher: Account,
    viewer: Account,
    study_id: int,
    tmp_path: Path,
) -> None:
    stimulus_id = new_stimulus(client, researcher.headers, study_id, "erase-page")
    upload_people(client, researcher.headers, stimulus_id, tmp_path, "erase-page")
    before = density(client, viewer.headers, stimulus_id)
    participants = client.get(
        f"{P}/studies/{study_id}/participants", headers=researcher.headers
    ).json()["items"]
    victim = participants[0]["id"]
    with api_ctx.session() as session:
        keys = session.scalars(
            select(Recording.gaze_key).where(Recording.participant_id == victim)
        ).all()
    assert keys
    assert all(api_ctx.blobs.exists(k) for k in keys)

    denied = client.delete(f"{P}/participants/{victim}", headers=researcher.headers)
    assert denied.status_code == 403
    erased = client.delete(f"{P}/participants/{victim}", headers=admin.headers)
    assert erased.status_code == 204

    after = density(client, viewer.headers, stimulus_id)
    assert not np.allclose(before, after)  # the cached map was not served again
    assert not any(api_ctx.blobs.exists(k) for k in keys)
    gone = client.get(f"{P}/participants/{victim}", headers=researcher.headers)
    assert gone.status_code == 404
    with api_ctx.session() as session:
        assert not session.scalars(
            select(Recording.id).where(Recording.participant_id == victim)
        ).all()
        entry = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "participant.erase", AuditEvent.study_id == study_id)
            .order_by(AuditEvent.id.desc())
        ).first()
    assert entry is not None
    assert entry.outcome == "ok"
    text = f"{entry.target} {entry.parameters}"
    assert not any(raw in text for raw in RAW_IDS)
    assert participants[0].get("pseudonym", "-" * 64) not in text
