"""Heat maps through HTTP: formats, equality with the service and kde.density, caching, 4xx."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from gazemap.kde import Grid, density
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.params import HeatmapParams
from gazemap.store.slices import Slice
from tests.api.helpers import Account, upload_demo

PARAMS = {"bandwidth": "30", "weight": "count", "method": "fft", "level": "1"}


def _url(stimulus_id: int, suffix: str = "heatmap") -> str:
    return f"/api/v1/stimuli/{stimulus_id}/{suffix}"


def test_png_is_the_stimulus_size_with_headers(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    response = client.get(_url(stimulus_id), headers=researcher.headers, params=PARAMS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.size == (800, 600)
    assert picture.mode in ("RGB", "RGBA")
    assert response.headers["x-gazemap-participants"] == "15"
    assert int(response.headers["x-gazemap-points"]) > 100
    assert response.headers["x-gazemap-bandwidth"] == "30,30"
    assert float(response.headers["x-gazemap-scale"]) > 0
    assert '"bandwidth":30' in response.headers["x-gazemap-params"]
    # no max-age: a client revalidates each time, so it never shows a map older than its data
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["etag"].endswith('.png"')


def test_transparent_overlay_without_the_image(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    response = client.get(
        _url(stimulus_id), headers=researcher.headers, params={**PARAMS, "overlay": "false"}
    )
    picture = Image.open(io.BytesIO(response.content))
    assert picture.mode == "RGBA"
    alpha = np.asarray(picture)[:, :, 3]
    assert alpha.min() == 0  # fully transparent somewhere


def test_json_equals_the_service_result(
    client: TestClient, api_ctx: ServiceContext, researcher: Account, stimulus_id: int
) -> None:
    body = client.get(
        _url(stimulus_id), headers=researcher.headers, params={**PARAMS, "format": "json"}
    ).json()
    assert (body["rows"], body["cols"], body["width"], body["height"]) == (300, 400, 800, 600)
    actor = Actor(user_id=researcher.id, username=researcher.username, role="researcher")
    expected = build_heatmap(
        api_ctx,
        actor=actor,
        stimulus_id=stimulus_id,
        params=HeatmapParams(bandwidth=30, weight="count", method="fft", level=1),
        slice=Slice(),
    )
    np.testing.assert_array_equal(np.array(body["density"]), expected.density)
    assert body["meta"]["participants"] == 15


def test_npy_equals_kde_density_of_the_stored_points(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    response = client.get(
        _url(stimulus_id), headers=researcher.headers, params={**PARAMS, "format": "npy"}
    )
    assert response.headers["content-type"] == "application/octet-stream"
    grid = np.load(io.BytesIO(response.content), allow_pickle=False)
    assert grid.dtype == np.float64
    assert grid.shape == (300, 400)

    ids = [
        r["id"]
        for r in client.get(
            _url(stimulus_id, "recordings"), headers=researcher.headers, params={"limit": 500}
        ).json()["items"]
    ]
    chunks = []
    for rid in ids:
        columns = client.get(f"/api/v1/recordings/{rid}/export", headers=researcher.headers).json()
        x, y, valid = (np.array(columns[k], dtype=float) for k in ("x", "y", "valid"))
        ok = valid.astype(bool) & np.isfinite(x) & np.isfinite(y)
        chunks.append(np.column_stack([x[ok], y[ok]]))
    points = np.concatenate(chunks)
    assert int(response.headers["x-gazemap-points"]) == len(points)
    expected = density(
        points,
        grid=Grid.for_stimulus(800, 600, level=1),
        bandwidth=30.0,
        kernel="gaussian",
        method="fft",
    )
    np.testing.assert_allclose(grid, expected, rtol=1e-9, atol=1e-18)


def test_second_request_hits_the_cache_and_revalidates(
    client: TestClient, researcher: Account, study_id: int, stimulus_id: int
) -> None:
    first = client.get(_url(stimulus_id), headers=researcher.headers, params=PARAMS)
    second = client.get(_url(stimulus_id), headers=researcher.headers, params=PARAMS)
    assert not first.headers["x-gazemap-cache"].startswith("hit")
    assert second.headers["x-gazemap-cache"].startswith("hit")
    assert first.headers["etag"] == second.headers["etag"]

    etag = first.headers["etag"]
    conditional = {**researcher.headers, "If-None-Match": etag}
    not_modified = client.get(_url(stimulus_id), headers=conditional, params=PARAMS)
    assert not_modified.status_code == 304
    assert not_modified.headers["etag"] == etag
    # another representation of the same density has another tag
    as_json = client.get(
        _url(stimulus_id), headers=conditional, params={**PARAMS, "format": "json"}
    )
    assert as_json.status_code == 200

    # new data: the stored tag no longer matches
    rid = client.get(_url(stimulus_id, "recordings"), headers=researcher.headers).json()["items"][
        0
    ]["id"]
    client.delete(f"/api/v1/recordings/{rid}", headers=researcher.headers)
    changed = client.get(_url(stimulus_id), headers=conditional, params=PARAMS)
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


BAD_PARAMETERS: list[tuple[dict[str, str], str]] = [
    ({"bandwidth": "-3"}, "bandwidth"),
    ({"bandwidth": "wide"}, "bandwidth"),
    ({"bandwidth": "nan"}, "bandwidth"),
    ({"kernel": "square"}, "kernel"),
    ({"cols": "100000", "rows": "100000"}, "grid"),
    ({"cols": "1000000", "rows": "10"}, "cols"),
    ({"age_min": "40", "age_max": "30"}, "age_min"),
    ({"cols": "40"}, "rows"),
    ({"colormap": "rainbow"}, "colormap"),
    ({"scale": "p101"}, "scale"),
    ({"opacity": "0"}, "opacity"),
    ({"t_from": "500", "t_to": "100"}, "t_to"),
    ({"recorded_from": "2024-01-01T00:00:00"}, "recorded_from"),
    ({"format": "gif"}, "format"),
    ({"level": "99"}, "level"),
    ({"gender": ""}, "gender"),
]


def test_bad_parameters_are_422_naming_the_parameter(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    for params, field in BAD_PARAMETERS:
        response = client.get(_url(stimulus_id), headers=researcher.headers, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        fields = [e["field"] for e in response.json()["errors"]]
        assert field in fields, (params, response.json())


def test_huge_grid_is_refused_before_any_work(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    response = client.get(
        _url(stimulus_id),
        headers=researcher.headers,
        params={"cols": "100000", "rows": "100000"},
    )
    problem = response.json()
    assert "cells" in problem["detail"]
    assert problem["errors"][0]["location"] == "query"


def test_other_study_is_404_and_no_token_is_401(
    client: TestClient, outsider: Account, stimulus_id: int
) -> None:
    assert client.get(_url(stimulus_id), headers=outsider.headers).status_code == 404
    assert client.get(_url(stimulus_id)).status_code == 401
    assert client.get(_url(999_999), headers=outsider.headers).status_code == 404


def test_viewer_slices_are_limited(
    client: TestClient, viewer: Account, researcher: Account, study_id: int
) -> None:
    sid, _ = upload_demo(client, researcher.headers, study_id, index=2)
    ok = client.get(_url(sid), headers=viewer.headers, params={**PARAMS, "format": "json"})
    assert ok.status_code == 200
    demographic = client.get(_url(sid), headers=viewer.headers, params={"gender": "female"})
    assert demographic.status_code == 403


def test_small_group_is_403_with_advice(
    client: TestClient, researcher: Account, study_id: int, stimulus_id: int
) -> None:
    response = client.get(
        _url(stimulus_id),
        headers=researcher.headers,
        params={"recorded_from": "2100-01-01T00:00:00Z"},
    )
    assert response.status_code == 403
    assert "Widen the slice" in response.json()["detail"]


def test_compare_two_versions(
    client: TestClient, researcher: Account, study_id: int, stimulus_id: int
) -> None:
    other, _ = upload_demo(client, researcher.headers, study_id, index=1)
    scores = client.get(
        _url(stimulus_id, "heatmap/compare"),
        headers=researcher.headers,
        params={**PARAMS, "b.stimulus_id": str(other), "format": "json"},
    )
    assert scores.status_code == 200, scores.text
    body = scores.json()
    assert -1 <= body["scores"]["cc"] <= 1
    assert 0 <= body["scores"]["sim"] <= 1
    assert body["meta"]["b"]["stimulus_id"] == other
    same = client.get(
        _url(stimulus_id, "heatmap/compare"),
        headers=researcher.headers,
        params={**PARAMS, "format": "json", "include_grid": "true"},
    ).json()
    assert same["scores"]["sim"] == pytest.approx(1.0)
    assert np.abs(np.array(same["difference"])).max() == 0.0
    png = client.get(
        _url(stimulus_id, "heatmap/compare"),
        headers=researcher.headers,
        params={**PARAMS, "b.stimulus_id": str(other)},
    )
    assert png.headers["content-type"] == "image/png"
    wrong = client.get(
        _url(stimulus_id, "heatmap/compare"),
        headers=researcher.headers,
        params={"colormap": "inferno"},
    )
    assert wrong.status_code == 422


def test_aoi_metrics(client: TestClient, researcher: Account, stimulus_id: int) -> None:
    response = client.post(
        _url(stimulus_id, "aoi-metrics"),
        headers=researcher.headers,
        json={
            "aois": [
                {"name": "all", "rect": [0, 0, 800, 600]},
                {"name": "corner", "polygon": [[0, 0], [50, 0], [0, 50]]},
            ]
        },
    )
    assert response.status_code == 200, response.text
    rows = {r["name"]: r for r in response.json()["items"]}
    assert rows["all"]["participants"] == 15
    assert rows["all"]["share_entered"] == 1.0
    assert rows["corner"]["fixations_total"] <= rows["all"]["fixations_total"]
    bad = client.post(
        _url(stimulus_id, "aoi-metrics"),
        headers=researcher.headers,
        json={"aois": [{"name": "a", "rect": [0, 0, 10, 10]}], "slice": {"age_min": 300}},
    )
    assert bad.status_code == 422


def test_every_bad_parameter_is_named_at_once(
    client: TestClient, researcher: Account, stimulus_id: int
) -> None:
    response = client.get(
        _url(stimulus_id),
        headers=researcher.headers,
        params={"bandwidth_unit": "mm", "level": "-1", "async": "maybe", "opacity": "2"},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"bandwidth_unit", "level", "async", "opacity"}


def test_a_query_string_is_parsed_once_and_remembered() -> None:
    from gazemap.api.heatmap_query import parse_heatmap_query

    raw = "bandwidth=31&level=2&gender=female&gender=male&attr.group=3&colormap=viridis"
    first = parse_heatmap_query(raw)
    assert parse_heatmap_query(raw) is first  # the same immutable answer, not parsed again
    assert first.params.level == 2
    assert first.slice.canonical()["gender"] == ["female", "male"]
    assert first.slice.canonical()["attributes"] == {"group": [3]}
    assert first.render.colormap == "viridis"
