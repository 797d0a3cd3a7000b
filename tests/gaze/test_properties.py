"""Properties every detector output must have, on random noisy scan paths."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.gaze import (
    Recording,
    ScreenGeometry,
    degrees_to_pixels,
    detect_fixations,
    pixels_to_degrees,
)
from gazemap.gaze.fixations import find_events
from gazemap.gaze.idt import window_dispersion
from gazemap.gaze.visual_angle import gaze_angles
from tests.gaze.strategies import scan_paths

METHODS = ["ivt", "idt"]
MIN_DURATION = {"ivt": 60.0, "idt": 100.0}


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(rec=scan_paths())
def test_fixations_never_overlap_and_are_in_time_order(method: str, rec: Recording) -> None:
    fx = detect_fixations(rec, method)
    assert fx.duration is not None
    assert np.all(np.diff(fx.t) > 0)
    assert np.all(fx.t[:-1] + fx.duration[:-1] <= fx.t[1:] + 1e-9)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(rec=scan_paths())
def test_durations_are_at_least_the_minimum(method: str, rec: Recording) -> None:
    fx = detect_fixations(rec, method)
    assert fx.duration is not None
    assert np.all(fx.duration >= MIN_DURATION[method] - 1e-9)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(rec=scan_paths())
def test_positions_lie_inside_the_bounding_box_of_their_samples(
    method: str, rec: Recording
) -> None:
    ev = find_events(rec, method)
    mx, my = ev.means()
    for s, e, x, y in zip(ev.start, ev.end, mx, my, strict=True):
        m = ev.usable[s : e + 1]
        xs, ys = ev.x[s : e + 1][m], ev.y[s : e + 1][m]
        assert xs.min() - 1e-9 <= x <= xs.max() + 1e-9
        assert ys.min() - 1e-9 <= y <= ys.max() + 1e-9


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=200, deadline=None)
@given(rec=scan_paths(), dx=st.floats(-200, 200), dy=st.floats(-200, 200))
def test_translating_the_gaze_translates_the_fixations(
    method: str, rec: Recording, dx: float, dy: float
) -> None:
    # Exact visual angles depend on where on the screen a point is, so translation
    # invariance holds in the small-angle limit: a far viewer, with every threshold
    # given as the angle its default spans in px at 650 mm.
    far = ScreenGeometry(width_px=1920, height_px=1080, width_mm=531.0, distance_mm=1e7)
    base = replace(rec, screen=far)
    moved = replace(rec, x=rec.x + dx, y=rec.y + dy, screen=far)

    def same_px(degrees: float) -> float:
        return float(pixels_to_degrees(degrees_to_pixels(degrees), screen=far))

    params = (
        {"velocity_threshold": same_px(30.0), "merge_max_angle": same_px(0.5)}
        if method == "ivt"
        else {"max_dispersion": same_px(1.0)}
    )
    a = detect_fixations(base, method, **params)
    b = detect_fixations(moved, method, **params)
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_allclose(b.x, a.x + dx, atol=1e-6)
    np.testing.assert_allclose(b.y, a.y + dy, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(rec=scan_paths(), shift=st.floats(-1e6, 1e6))
def test_shifting_time_shifts_the_fixations(method: str, rec: Recording, shift: float) -> None:
    # Times on a 1/8 ms grid and a whole-ms shift keep every sum exact, so no
    # threshold comparison can flip by rounding.
    rec = replace(rec, t=np.round(rec.t * 8) / 8)
    shift = float(np.round(shift))
    a = detect_fixations(rec, method)
    b = detect_fixations(replace(rec, t=rec.t + shift), method)
    assert len(a) == len(b)
    np.testing.assert_allclose(b.t, a.t + shift, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(rec=scan_paths(), limit=st.floats(0.3, 3.0))
def test_idt_fixations_stay_within_the_dispersion(rec: Recording, limit: float) -> None:
    ev = find_events(rec, "idt", max_dispersion=limit)
    ax, ay = gaze_angles(ev.x, ev.y, screen=rec.screen)
    for s, e in zip(ev.start, ev.end, strict=True):
        m = ev.usable[s : e + 1]
        wx, wy = ax[s : e + 1][m], ay[s : e + 1][m]
        assert (wx.max() - wx.min()) + (wy.max() - wy.min()) <= limit + 1e-9


@given(
    values=st.lists(st.floats(-50, 50), min_size=1, max_size=60),
    data=st.data(),
)
def test_window_dispersion_matches_brute_force(values: list[float], data: st.DataObject) -> None:
    ax = np.array(values)
    ay = ax[::-1].copy()
    n = ax.size
    lo = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20)))
    span = np.array(data.draw(st.lists(st.integers(0, n), min_size=lo.size, max_size=lo.size)))
    hi = np.minimum(lo + span, n - 1)
    got = window_dispersion(ax, ay, lo, hi)
    want = [np.ptp(ax[a : b + 1]) + np.ptp(ay[a : b + 1]) for a, b in zip(lo, hi, strict=True)]
    np.testing.assert_allclose(got, want)
