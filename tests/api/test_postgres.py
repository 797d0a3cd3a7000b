"""The main API flow on PostgreSQL (a private schema), through the app."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from gazemap.api.app import create_app
from gazemap.service.context import ServiceContext
from gazemap.store.migrate import upgrade
from tests.api.helpers import make_account, upload_demo
from tests.service.fixtures import service_settings
from tests.store.conftest import NewDatabase

pytestmark = pytest.mark.postgres


def test_main_flow_on_postgresql(
    tmp_path: Path, new_database: NewDatabase, password_hash: str
) -> None:
    url = new_database("postgresql")
    upgrade(url)
    settings = service_settings(tmp_path / "home", url)
    ctx = ServiceContext.from_settings(settings)
    try:
        with TestClient(create_app(settings, context=ctx)) as client:
            assert client.get("/readyz").json()["checks"]["database"] == "ok"
            researcher = make_account(ctx, client, "researcher", password_hash)
            study = client.post(
                "/api/v1/studies", headers=researcher.headers, json={"name": "pg"}
            ).json()
            sid, body = upload_demo(client, researcher.headers, study["id"])
            assert len(body["recordings"]) == 15  # type: ignore[arg-type]
            heatmap = client.get(
                f"/api/v1/stimuli/{sid}/heatmap",
                headers=researcher.headers,
                params={"format": "npy", "bandwidth": "30"},
            )
            assert heatmap.status_code == 200
            grid = np.load(io.BytesIO(heatmap.content), allow_pickle=False)
            assert grid.shape == (300, 400)
            assert grid.sum() > 0
            assert heatmap.headers["x-gazemap-participants"] == "15"
            outsider = make_account(ctx, client, "researcher", password_hash)
            assert client.get(f"/api/v1/stimuli/{sid}", headers=outsider.headers).status_code == 404
            huge = client.get(f"/api/v1/studies/{2**31 - 1}", headers=researcher.headers)
            assert huge.status_code == 404
    finally:
        ctx.close()
