"""Bandwidth rules, resolution and visual-angle conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import gaussian_kde

from gazemap.errors import InvalidBandwidthError, InvalidInputError
from gazemap.kde import degrees_to_px, resolve_bandwidth


def _symmetric_sample(rng: np.random.Generator, n: int) -> np.ndarray:
    # reflecting about both axes makes the sample covariance exactly diagonal, so scipy's
    # full-covariance rule and our per-axis rule must agree
    base = rng.normal([0, 0], [30, 12], (n, 2))
    return np.vstack([base, base * [-1, 1], base * [1, -1], -base]) + [400, 300]


def test_scott_matches_scipy_with_weights() -> None:
    rng = np.random.default_rng(4)
    pts = _symmetric_sample(rng, 50)
    w = np.tile(rng.uniform(0.2, 3.0, 50), 4)
    kde = gaussian_kde(pts.T, bw_method="scott", weights=w)
    expected = np.sqrt(np.diag(kde.covariance))
    np.testing.assert_allclose(resolve_bandwidth(pts, "scott", weights=w), expected, rtol=1e-9)


def test_silverman_uses_the_robust_spread() -> None:
    rng = np.random.default_rng(5)
    pts = rng.normal(0, 10, (400, 2))
    scott = np.array(resolve_bandwidth(pts, "scott"))
    assert resolve_bandwidth(pts, "silverman") == pytest.approx(tuple(scott), rel=0.1)
    # a few wild outliers inflate the standard deviation but not the IQR
    wild = np.vstack([pts, [[5000.0, 5000.0], [-5000.0, -5000.0]]])
    sx, _ = resolve_bandwidth(wild, "scott")
    rx, _ = resolve_bandwidth(wild, "silverman")
    assert rx < sx / 10


def test_effective_sample_size_uses_kish() -> None:
    pts = np.array([[0.0, 0.0], [2.0, 2.0], [4.0, 0.0], [6.0, 2.0]])
    heavy = resolve_bandwidth(pts, "scott", weights=[10.0, 10.0, 10.0, 10.0])
    assert heavy == pytest.approx(resolve_bandwidth(pts, "scott"))


def test_numbers_and_pairs_pass_through() -> None:
    assert resolve_bandwidth([], 12.5) == (12.5, 12.5)
    assert resolve_bandwidth([], (3, 4)) == (3.0, 4.0)
    assert resolve_bandwidth([], np.array([3.0, 4.0])) == (3.0, 4.0)


@pytest.mark.parametrize(
    ("points", "weights", "message"),
    [
        ([[1.0, 1.0]], None, "needs at least 2 points with positive weight; got 1"),
        ([[1.0, 1.0], [2.0, 2.0]], [1.0, 0.0], "needs at least 2 points"),
        ([[1.0, 1.0], [1.0, 5.0]], None, "gave 0 along x: every point has the same x"),
    ],
)
def test_rules_refuse_degenerate_samples(points: list, weights: list | None, message: str) -> None:
    with pytest.raises(InvalidBandwidthError, match=message):
        resolve_bandwidth(points, "scott", weights=weights)


def test_degrees_to_px() -> None:
    px = degrees_to_px(1.0, screen_width_px=1920, screen_width_mm=531.0, distance_mm=600.0)
    assert px == pytest.approx(2 * 600 * math.tan(math.radians(0.5)) * 1920 / 531)
    assert degrees_to_px(0.0, screen_width_px=1920, screen_width_mm=531, distance_mm=600) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"degrees": -1.0}, r"degrees must be a number in \[0, 180\), got -1.0"),
        ({"degrees": 1.0, "distance_mm": 0}, "distance_mm must be > 0, got 0"),
        (
            {"degrees": 1.0, "screen_width_mm": "wide"},
            "screen_width_mm must be a number > 0, got 'wide'",
        ),
    ],
)
def test_degrees_to_px_names_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"screen_width_px": 1920, "screen_width_mm": 531.0, "distance_mm": 600.0} | kwargs
    with pytest.raises(InvalidInputError, match=message):
        degrees_to_px(args.pop("degrees"), **args)
