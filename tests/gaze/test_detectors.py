"""I-VT and I-DT on synthetic scan paths whose fixations are known."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording, detect_fixations, sample_labels
from gazemap.gaze.visual_angle import degrees_to_pixels
from tests.gaze.scanpath import SCREEN, scanpath

THREE = [(300.0, 300.0, 400.0), (1500.0, 500.0, 300.0), (800.0, 900.0, 500.0)]


def _match(fx: Recording, truth_start, truth_end, truth_x, truth_y, *, tol_ms: float) -> None:
    assert len(fx) == len(truth_start)
    assert fx.duration is not None
    np.testing.assert_allclose(fx.t, truth_start, atol=tol_ms)
    np.testing.assert_allclose(fx.t + fx.duration, truth_end, atol=tol_ms)
    np.testing.assert_allclose(fx.x, truth_x, atol=1.0)
    np.testing.assert_allclose(fx.y, truth_y, atol=1.0)


@pytest.mark.parametrize("method", ["ivt", "idt"])
@pytest.mark.parametrize("rate", [60.0, 120.0, 300.0, 1000.0])
def test_finds_known_fixations_at_their_places_and_times(method: str, rate: float) -> None:
    rec, truth = scanpath(THREE, rate=rate, noise_px=0.5, seed=1)
    fx = detect_fixations(rec, method)
    # I-VT loses about half a velocity window (10 ms) at each end, plus one sample.
    _match(fx, truth.start, truth.end, truth.x, truth.y, tol_ms=12.0 + 2000.0 / rate)


@pytest.mark.parametrize("method", ["ivt", "idt"])
def test_output_keeps_the_recording_description(method: str) -> None:
    rec, _ = scanpath(THREE)
    rec = Recording(
        "samples", rec.t, rec.x, rec.y, rec.valid, t0=1234.0, participant="p9",
        stimulus="page1", sampling_rate=300.0, screen=SCREEN, device="Tobii Pro Spectrum",
        attributes={"age": 31}, source="f.tsv",
    )  # fmt: skip
    fx = detect_fixations(rec, method)
    assert fx.kind == "fixations"
    assert fx.valid.all()
    for name in ("t0", "participant", "stimulus", "sampling_rate", "screen", "device", "source"):
        assert getattr(fx, name) == getattr(rec, name), name
    assert fx.attributes == {"age": 31}
    assert fx.report.rows_kept == len(fx)
    assert fx.report.notes[-1] == f"{len(fx)} fixations detected in {len(rec)} samples"
    assert rec.report.notes == []  # the input's report is not modified


def test_a_fixations_recording_is_returned_unchanged() -> None:
    fx = Recording("fixations", [0.0], [1.0], [2.0], [True], duration=[100.0])
    assert detect_fixations(fx, "idt") is fx


def test_a_blink_longer_than_the_gap_limit_splits_a_fixation() -> None:
    rec, _ = scanpath([(960.0, 540.0, 1000.0)], blinks=[(400.0, 600.0)])
    for method in ("ivt", "idt"):
        fx = detect_fixations(rec, method)
        assert len(fx) == 2, method
        assert fx.duration is not None
        assert fx.t[0] + fx.duration[0] <= 400.0 + 1e-9
        assert fx.t[1] >= 600.0 - 1e-9


def test_a_short_blink_is_filled_in_and_does_not_split() -> None:
    rec, _ = scanpath([(960.0, 540.0, 1000.0)], blinks=[(400.0, 450.0)])
    for method in ("ivt", "idt"):
        fx = detect_fixations(rec, method)
        assert len(fx) == 1, method
        assert sample_labels(rec, method).all()


def test_ivt_merges_fixations_close_in_time_and_space() -> None:
    shift = float(degrees_to_pixels(0.3, screen=SCREEN))
    rec, _ = scanpath(
        [(960.0, 540.0, 300.0), (960.0 + shift, 540.0, 300.0)], saccade_ms=0.0, blinks=[(300, 330)]
    )
    merged = detect_fixations(rec, "ivt", max_gap_ms=0)
    assert len(merged) == 1
    assert merged.duration is not None
    assert merged.duration[0] == pytest.approx(600.0, abs=1.0)
    apart = detect_fixations(rec, "ivt", max_gap_ms=0, merge_max_time_ms=0)
    assert len(apart) == 2


def test_ivt_does_not_merge_fixations_further_apart_than_the_angle() -> None:
    shift = float(degrees_to_pixels(1.0, screen=SCREEN))
    rec, _ = scanpath(
        [(960.0, 540.0, 300.0), (960.0 + shift, 540.0, 300.0)], saccade_ms=0.0, blinks=[(300, 330)]
    )
    assert len(detect_fixations(rec, "ivt", max_gap_ms=0)) == 2
    assert len(detect_fixations(rec, "ivt", max_gap_ms=0, merge_max_angle=1.5)) == 1


def test_ivt_discards_fixations_shorter_than_the_minimum() -> None:
    path = [(300.0, 300.0, 300.0), (1500.0, 300.0, 50.0), (300.0, 900.0, 300.0)]
    rec, _ = scanpath(path)
    assert len(detect_fixations(rec, "ivt")) == 2
    kept = detect_fixations(rec, "ivt", min_duration_ms=0)
    assert len(kept) == 3
    assert kept.x[1] == pytest.approx(1500.0)


def test_idt_respects_the_minimum_duration() -> None:
    path = [(300.0, 300.0, 300.0), (1500.0, 300.0, 80.0), (300.0, 900.0, 300.0)]
    rec, _ = scanpath(path)
    assert len(detect_fixations(rec, "idt")) == 2
    assert len(detect_fixations(rec, "idt", min_duration_ms=50)) == 3


def test_idt_splits_a_drift_wider_than_the_dispersion() -> None:
    t = np.arange(0.0, 1000.0, 1000.0 / 300)
    px_per_deg = float(degrees_to_pixels(1.0, screen=SCREEN))
    x = 960.0 + t / 1000.0 * 3.0 * px_per_deg  # 3° of smooth drift in one second
    rec = Recording("samples", t, x, np.full_like(t, 540.0), np.ones(t.size, bool), screen=SCREEN)
    fx = detect_fixations(rec, "idt")
    assert 2 <= len(fx) <= 4
    wide = detect_fixations(rec, "idt", max_dispersion=4.0)
    assert len(wide) == 1


def test_ivt_acceleration_threshold_only_removes_fixation_samples() -> None:
    rec, _ = scanpath(THREE, rate=500.0, noise_px=0.5)
    plain = sample_labels(rec, "ivt")
    strict = sample_labels(rec, "ivt", acceleration_threshold=8000.0)
    assert strict.sum() <= plain.sum()
    assert len(detect_fixations(rec, "ivt", acceleration_threshold=8000.0)) == 3


def test_sample_labels_cover_exactly_the_fixation_samples() -> None:
    rec, _truth = scanpath(THREE, noise_px=0.5)
    for method in ("ivt", "idt"):
        labels = sample_labels(rec, method)
        fx = detect_fixations(rec, method)
        assert labels.shape == (len(rec),)
        assert fx.duration is not None
        inside = np.zeros(len(rec), bool)
        for s, d in zip(fx.t, fx.duration, strict=True):
            inside |= (rec.t >= s) & (rec.t < s + d - 1e-6)
        np.testing.assert_array_equal(labels, inside)


def test_dropped_invalid_samples_act_like_kept_invalid_samples() -> None:
    rec, _ = scanpath(THREE, noise_px=0.5, blinks=[(200.0, 350.0), (900.0, 940.0)])
    dropped = rec.take(rec.valid)
    for method in ("ivt", "idt"):
        a, b = detect_fixations(rec, method), detect_fixations(dropped, method)
        np.testing.assert_allclose(a.t, b.t)
        np.testing.assert_allclose(a.x, b.x)


def test_empty_and_tiny_recordings_give_no_fixations() -> None:
    empty = Recording("samples", [], [], [], [])
    one = Recording("samples", [0.0], [1.0], [1.0], [True])
    for method in ("ivt", "idt"):
        assert len(detect_fixations(empty, method)) == 0
        assert len(detect_fixations(one, method)) == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "ivx"}, "method must be one of ivt, idt, got 'ivx'"),
        ({"method": "ivt", "threshold": 3}, "unknown ivt parameter"),
        ({"method": "ivt", "velocity_threshold": -3}, "velocity_threshold must be > 0, got -3"),
        ({"method": "idt", "max_dispersion": 0}, "max_dispersion must be > 0, got 0"),
        ({"method": "idt", "min_duration_ms": -1}, "min_duration_ms must be >= 0, got -1"),
    ],
)
def test_bad_parameters_are_named_errors(kwargs: dict, match: str) -> None:
    rec, _ = scanpath(THREE)
    with pytest.raises(InvalidInputError, match=match):
        detect_fixations(rec, **kwargs)


def test_unsorted_time_is_refused_with_advice() -> None:
    rec = Recording("samples", [0.0, 20.0, 10.0], [1.0] * 3, [1.0] * 3, [True] * 3)
    with pytest.raises(InvalidInputError, match=r"non-decreasing; run gazemap\.gaze\.clean"):
        detect_fixations(rec)


def test_noise_reduction_removes_a_one_sample_spike() -> None:
    rec, _ = scanpath([(960.0, 540.0, 600.0)])
    x = rec.x.copy()
    x[90] += 200.0  # one wild sample in the middle of a fixation
    spiky = Recording("samples", rec.t, x, rec.y, rec.valid, screen=SCREEN)
    assert len(detect_fixations(spiky, "ivt")) == 2
    smooth = detect_fixations(spiky, "ivt", noise_reduction="median")
    assert len(smooth) == 1
    assert len(detect_fixations(spiky, "ivt", noise_reduction="average", noise_window=7)) >= 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"noise_reduction": "gauss"}, "noise_reduction must be None, 'median' or 'average'"),
        ({"noise_reduction": "median", "noise_window": 4}, "noise_window must be an odd number"),
    ],
)
def test_bad_noise_reduction_is_a_named_error(kwargs: dict, match: str) -> None:
    rec, _ = scanpath(THREE)
    with pytest.raises(InvalidInputError, match=match):
        detect_fixations(rec, "ivt", **kwargs)
