"""The whole gaze pipeline on real files read by gazemap.formats: read → clean → detect → map."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gazemap.formats import read
from gazemap.gaze import (
    ScreenGeometry,
    StimulusPlacement,
    clean,
    detect_fixations,
    map_to_stimulus,
    weights_for,
)
from tests.gaze.realfiles import GAZEPOINT, WEBGAZER


def test_tobii_fixations_match_the_vendors_count_and_survive_cleaning(real_data: Path) -> None:
    path = real_data / "tobii-prolab-dataexport-ivt" / "I-VT-normal Data export_short.tsv"
    (rec,) = [r for r in read(path) if r.stimulus == "Eyetracker Calibration"]
    vendor = rec.extra["movement"] == "fixation"
    vendor_fixations = int(np.count_nonzero(np.diff(vendor.astype(int), prepend=0) == 1))
    cleaned = clean(rec)
    assert cleaned.report.dropped["invalid_eye"] == 33
    assert cleaned.report.dropped["non_gaze_row"] == 119  # the reader's count, continued
    fx = detect_fixations(cleaned, "ivt")
    assert abs(len(fx) - vendor_fixations) <= 2
    # Dropping the invalid samples first changes nothing: holes in t are gaps too.
    raw = detect_fixations(rec, "ivt")
    np.testing.assert_array_equal(raw.t, fx.t)
    np.testing.assert_allclose(raw.x, fx.x)
    assert fx.participant == rec.participant
    assert fx.extra["movement"].shape == (len(fx),)


def test_gazepoint_samples_to_page_fixations(real_data: Path) -> None:
    path = real_data / GAZEPOINT / "result" / "c0_User 1_all_gaze.csv"
    (rec,) = [r for r in read(path, screen_width=1680, screen_height=1050) if r.stimulus == "page4"]
    cleaned = clean(rec)
    report = cleaned.report
    assert report.rows_in - report.rows_kept == report.rows_dropped
    assert report.dropped["off_screen"] > 1000  # this participant's tracking is poor
    fx = detect_fixations(cleaned, "ivt")
    page = StimulusPlacement.centred(811, 1050, screen_width=1680, screen_height=1050)
    on_page = map_to_stimulus(fx, page)
    assert 0 < len(on_page) <= len(fx)
    assert on_page.report.dropped["outside_stimulus"] == len(fx) - len(on_page)
    assert np.all((on_page.x >= 0) & (on_page.x < 811))
    assert np.all(weights_for(on_page, weight="duration") >= 60.0)


def test_webgazer_through_the_reader(real_data: Path) -> None:
    path = real_data / WEBGAZER / "analysis" / "user1" / "user1Pages" / "page10.csv"
    (rec,) = read(path)
    out = clean(rec, screen=ScreenGeometry(width_px=1920, height_px=1080))
    assert out.report.dropped["backwards_timestamp"] == 44
    assert np.all(np.diff(out.t) > 0)
    # WebGazer predicts in bursts of ~7 ms steps separated by ~400 ms pauses: with the
    # default 75 ms gap limit no window lasts 100 ms; bridging the pauses finds fixations.
    assert len(detect_fixations(out, "idt")) == 0
    fx = detect_fixations(out, "idt", max_dispersion=3.0, max_gap_ms=500.0)
    assert fx.duration is not None
    assert len(fx) > 0
    assert np.all(fx.duration >= 100.0)
    assert np.all(fx.t[1:] >= fx.t[:-1] + fx.duration[:-1])
