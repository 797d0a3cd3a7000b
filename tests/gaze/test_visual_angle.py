"""Pixels ↔ degrees: defaults, the shared size formula, exact position angles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.gaze import ScreenGeometry, default_geometry, degrees_to_pixels, pixels_to_degrees
from gazemap.gaze.visual_angle import angular_distance, gaze_angles, gaze_directions
from gazemap.kde import degrees_to_px

SCREEN = ScreenGeometry(width_px=1920, height_px=1080, width_mm=531.0, distance_mm=650.0)


def test_defaults_fill_only_what_is_missing() -> None:
    g = default_geometry(ScreenGeometry(width_px=1280, height_px=1024, distance_mm=700.0))
    assert (g.width_px, g.height_px, g.distance_mm) == (1280, 1024, 700.0)
    assert g.width_mm == pytest.approx(1280 * 531.0 / 1920)
    assert g.height_mm == pytest.approx(1024 * 531.0 / 1920)


def test_default_geometry_is_a_24_inch_screen_at_65_cm() -> None:
    g = default_geometry()
    assert (g.width_px, g.height_px, g.width_mm, g.distance_mm) == (1920, 1080, 531.0, 650.0)


def test_bad_geometry_is_a_named_error() -> None:
    with pytest.raises(InvalidInputError, match="distance_mm must be > 0, got -5"):
        default_geometry(ScreenGeometry(distance_mm=-5.0))


@given(st.floats(0.0, 60.0))
def test_sizes_agree_with_the_kde_formula(deg: float) -> None:
    want = degrees_to_px(deg, screen_width_px=1920, screen_width_mm=531.0, distance_mm=650.0)
    assert float(degrees_to_pixels(deg, screen=SCREEN)) == pytest.approx(want, rel=1e-12)


@given(st.floats(0.0, 2000.0))
def test_pixels_to_degrees_inverts_degrees_to_pixels(px: float) -> None:
    back = degrees_to_pixels(pixels_to_degrees(px, screen=SCREEN), screen=SCREEN)
    assert float(back) == pytest.approx(px, rel=1e-9, abs=1e-9)


def test_degrees_to_pixels_keeps_the_shape() -> None:
    assert degrees_to_pixels(np.ones((2, 3))).shape == (2, 3)


def test_position_angles_are_exact_not_small_angle() -> None:
    # The screen edge, 265.5 mm from the centre at 650 mm: atan, not 265.5/px_per_degree.
    ax, ay = gaze_angles(np.array([1920.0]), np.array([540.0]), screen=SCREEN)
    assert ax[0] == pytest.approx(math.degrees(math.atan(265.5 / 650.0)))
    assert ay[0] == 0.0
    small = 960.0 / float(degrees_to_pixels(1.0, screen=SCREEN))
    assert small - ax[0] > 0.5


def test_angle_between_directions_matches_the_law_of_cosines() -> None:
    x = np.array([100.0, 1800.0])
    y = np.array([50.0, 1000.0])
    d = gaze_directions(x, y, screen=SCREEN)
    want = math.degrees(math.acos(float(np.clip(d[0] @ d[1], -1, 1))))
    assert angular_distance(d[:1], d[1:])[0] == pytest.approx(want, rel=1e-9)


def test_tiny_angles_keep_their_precision() -> None:
    d = gaze_directions(np.array([960.0, 960.001]), np.array([540.0, 540.0]), screen=SCREEN)
    px_deg = float(degrees_to_pixels(1.0, screen=SCREEN))
    assert angular_distance(d[:1], d[1:])[0] == pytest.approx(0.001 / px_deg, rel=1e-4)
