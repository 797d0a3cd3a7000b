"""Screen → stimulus mapping: offsets, scale, scrolling, and what falls outside."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording, StimulusPlacement, map_to_stimulus
from tests.gaze.realfiles import GAZEPOINT, SEQIT, gazepoint_fixations, seqit_fixations


def _fix(x, y, **kw) -> Recording:
    n = len(x)
    return Recording("fixations", np.arange(n) * 300.0, x, y, [True] * n,
                     duration=np.full(n, 250.0), **kw)  # fmt: skip


def test_centred_page_on_a_wide_screen() -> None:
    p = StimulusPlacement.centred(811, 1050, screen_width=1680, screen_height=1050)
    out = map_to_stimulus(_fix([434.5, 1245.0, 1250.0, 100.0], [0.0, 1049.0, 10.0, 10.0]), p)
    assert out.x.tolist() == [0.0, 810.5]
    assert out.y.tolist() == [0.0, 1049.0]
    assert out.report.dropped == {"outside_stimulus": 2}
    assert out.report.rows_kept == 2


def test_scaled_screenshot() -> None:
    p = StimulusPlacement.full_screen(900, 719, screen_width=1280)
    out = map_to_stimulus(_fix([1280.0 * 0.5, 1279.0], [1023.0 * 0.5, 1030.0]), p)
    assert out.x[0] == pytest.approx(450.0)
    assert out.y[0] == pytest.approx(719.0 * 0.5, abs=0.5)
    assert len(out) == 1


def test_scroll_moves_the_page_under_the_gaze() -> None:
    rec = _fix([100.0, 100.0, 100.0], [500.0, 500.0, 500.0],
               extra={"scroll_y": np.array([0.0, 1200.0, np.nan])})  # fmt: skip
    p = StimulusPlacement(0.0, 0.0, 1.0, 1280.0, 4000.0)
    out = map_to_stimulus(rec, p)
    assert out.y.tolist() == [500.0, 1700.0, 500.0]


def test_durations_and_times_stay() -> None:
    rec = _fix([500.0, 5000.0, 600.0], [500.0, 500.0, 500.0])
    out = map_to_stimulus(rec, StimulusPlacement(100.0, 0.0, 2.0, 811.0, 1050.0))
    assert out.t.tolist() == [0.0, 600.0]
    assert out.duration is not None
    assert out.duration.tolist() == [250.0, 250.0]


def test_invalid_rows_pass_through_uncounted() -> None:
    rec = Recording("samples", [0, 1], [np.nan, 50.0], [np.nan, 50.0], [False, True])
    out = map_to_stimulus(rec, StimulusPlacement(0.0, 0.0, 1.0, 100.0, 100.0))
    assert len(out) == 2
    assert out.report.rows_dropped == 0


@pytest.mark.parametrize(
    ("field", "value"), [("scale", 0.0), ("width", -1.0), ("offset_x", np.inf)]
)
def test_bad_placements_are_named_errors(field: str, value: float) -> None:
    kw = {"offset_x": 0.0, "offset_y": 0.0, "scale": 1.0, "width": 10.0, "height": 10.0}
    kw[field] = value
    with pytest.raises(InvalidInputError, match=field):
        StimulusPlacement(**kw)


@given(
    ox=st.floats(-500, 500), oy=st.floats(-500, 500), scale=st.floats(0.2, 5.0),
    u=st.floats(0, 799), v=st.floats(0, 599),
)  # fmt: skip
def test_a_stimulus_point_shown_on_screen_maps_back(ox, oy, scale, u, v) -> None:
    p = StimulusPlacement(ox, oy, scale, 800.0, 600.0)
    out = map_to_stimulus(_fix([ox + u * scale], [oy + v * scale]), p)
    if len(out):  # float round-off can push a point on the edge just outside
        assert out.x[0] == pytest.approx(u, abs=1e-6)
        assert out.y[0] == pytest.approx(v, abs=1e-6)


def test_gazepoint_consent_page_centred_on_the_screen(real_data: Path) -> None:
    rec = gazepoint_fixations(real_data / GAZEPOINT / "result" / "c0_User 1_fixations.csv", "page1")
    p = StimulusPlacement.centred(811, 1050, screen_width=1680, screen_height=1050)
    assert p.offset_x == 434.5
    out = map_to_stimulus(rec, p)
    assert len(rec) == 15
    assert out.report.dropped["outside_stimulus"] == len(rec) - len(out) == 4
    assert np.all((out.x >= 0) & (out.x < 811))
    u, v = rec.x - 434.5, rec.y
    on_page = (u >= 0) & (u < 811) & (v >= 0) & (v < 1050)
    np.testing.assert_allclose(out.x, u[on_page])
    np.testing.assert_allclose(out.y, v[on_page])
    assert out.duration is not None
    assert set(out.duration.tolist()) <= set(rec.duration.tolist())  # type: ignore[union-attr]


def test_seqit_screen_coordinates_onto_the_downscaled_screenshot(real_data: Path) -> None:
    recs = seqit_fixations(real_data / SEQIT / "fixation_datasets.json")
    assert len(recs) == 61
    p = StimulusPlacement.full_screen(900, 719, screen_width=1280)
    assert p.scale == pytest.approx(1 / 0.7031, rel=1e-3)
    total = outside = 0
    for rec in recs:
        out = map_to_stimulus(rec, p)
        total += len(rec)
        outside += out.report.dropped["outside_stimulus"]
        assert np.all((out.x >= 0) & (out.x < 900) & (out.y >= 0) & (out.y < 719))
    assert total == 2363
    # x runs to −103 and 1469 px on a 1280 px screen, y to 1068 on 1024: a few fall off.
    assert outside == 18


def test_placement_from_a_readers_media_attributes() -> None:
    rec = _fix([405.0 + 10.0], [108.0 + 20.0], attributes={
        "media_x": 405, "media_y": 108, "media_width": 1110, "media_height": 865})  # fmt: skip
    p = StimulusPlacement.from_media(rec)
    assert (p.offset_x, p.offset_y, p.scale, p.width, p.height) == (405, 108, 1.0, 1110, 865)
    out = map_to_stimulus(rec, p)
    assert (out.x[0], out.y[0]) == (10.0, 20.0)


def test_placement_from_media_needs_the_attributes() -> None:
    with pytest.raises(
        InvalidInputError, match="recording attribute media_x must be a number, got None"
    ):
        StimulusPlacement.from_media(_fix([1.0], [1.0]))


def test_tobii_image_stimulus_mapped_with_the_files_media_position(real_data: Path) -> None:
    from gazemap.formats import read

    path = real_data / "tobii-prolab-dataexport-ivt" / "I-VT-rightEye Data export_short.tsv"
    (rec,) = [r for r in read(path) if r.stimulus and r.stimulus.startswith("chimsky")]
    p = StimulusPlacement.from_media(rec)
    assert (p.offset_x, p.width, p.height) == (405.0, 1110.0, 865.0)
    out = map_to_stimulus(rec, p)
    valid = rec.valid & np.isfinite(rec.x)
    on_image = valid & (rec.x >= 405) & (rec.x < 405 + 1110) & (rec.y >= 108) & (rec.y < 108 + 865)
    assert out.report.dropped.get("outside_stimulus", 0) == int((valid & ~on_image).sum())
    assert len(out) == len(rec) - int((valid & ~on_image).sum())


def test_a_media_position_that_changes_per_row_is_followed() -> None:
    rec = _fix([100.0, 100.0], [300.0, 300.0],
               attributes={"media_x": 30, "media_width": 1864, "media_height": 937},
               extra={"media_y": np.array([77.0, 99.0])})  # fmt: skip
    p = StimulusPlacement.from_media(rec)
    assert (p.offset_y, p.follow_media) == (77.0, True)
    out = map_to_stimulus(rec, p)
    assert out.y.tolist() == [223.0, 201.0]
    fixed = map_to_stimulus(rec, replace(p, follow_media=False))
    assert fixed.y.tolist() == [223.0, 223.0]


def test_tobii_studio_web_page_with_a_moving_media_position(real_data: Path) -> None:
    from gazemap.formats import read

    path = real_data / "tobii-studio-webpage-export" / "tobiiData.tsv"
    (rec,) = [r for r in read(path) if r.stimulus and r.stimulus.startswith("http")]
    p = StimulusPlacement.from_media(rec)
    out = map_to_stimulus(rec, p)
    media_y = rec.extra["media_y"]
    keep = ~(rec.valid & ~p.contains(rec.x - 30.0, rec.y - media_y))
    np.testing.assert_allclose(out.y, (rec.y - media_y)[keep])
