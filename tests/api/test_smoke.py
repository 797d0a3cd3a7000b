"""The main flow through the app: sign in, study, stimulus, recordings, heat map."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import Account


def test_heatmap_png_of_uploaded_demo(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    response = client.get(f"/api/v1/stimuli/{stimulus_id}/heatmap", headers=researcher.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert int(response.headers["X-Gazemap-Participants"]) == 15
