"""Every kernel integrates to 1 and has covariance bandwidth² · I."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gazemap.errors import UnknownKernelError
from gazemap.kde import KERNELS
from gazemap.kde.kernels import get_kernel
from tests.kde.reference import CANONICAL, REFERENCE_KERNELS


def _moments(name: str, bx: float, by: float) -> tuple[float, float, float, float]:
    # midpoint rule on a fine square grid covering the support (8σ for the Gaussian)
    kernel = KERNELS[name]
    half = (kernel.support if math.isfinite(kernel.support) else 8.0) * 1.02
    n = 1201
    u = (np.arange(n) + 0.5) / n * 2 * half - half
    du = 2 * half / n
    x = u[None, :] * bx
    y = u[:, None] * by
    values = kernel.evaluate((x / bx) ** 2 + (y / by) ** 2) / (bx * by)
    area = du * du * bx * by
    mass = values.sum() * area
    var_x = (values * x * x).sum() * area
    var_y = (values * y * y).sum() * area
    cov = (values * x * y).sum() * area
    return mass, var_x, var_y, cov


@pytest.mark.parametrize("name", CANONICAL)
def test_kernel_integrates_to_one(name: str) -> None:
    mass, *_ = _moments(name, 1.0, 1.0)
    assert mass == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name", CANONICAL)
@pytest.mark.parametrize(("bx", "by"), [(1.0, 1.0), (3.0, 1.5)])
def test_kernel_covariance_is_bandwidth_squared(name: str, bx: float, by: float) -> None:
    mass, var_x, var_y, cov = _moments(name, bx, by)
    assert var_x / mass == pytest.approx(bx * bx, rel=5e-3)
    assert var_y / mass == pytest.approx(by * by, rel=5e-3)
    assert abs(cov) < 1e-9


@pytest.mark.parametrize("name", CANONICAL)
def test_kernel_matches_documented_formula(name: str) -> None:
    radii = np.linspace(0.0, 4.0, 81)
    ours = KERNELS[name].evaluate(radii**2)
    documented = np.array([REFERENCE_KERNELS[name](r) for r in radii])
    np.testing.assert_allclose(ours, documented, rtol=1e-12, atol=1e-15)


def test_aliases_point_at_the_same_kernel() -> None:
    assert KERNELS["quartic"] is KERNELS["biweight"]
    assert KERNELS["tophat"] is KERNELS["uniform"]
    assert set(CANONICAL) <= set(KERNELS)


def test_compact_kernels_vanish_outside_their_support() -> None:
    for name in CANONICAL[1:]:
        kernel = KERNELS[name]
        outside = np.array([kernel.support**2 * (1 + 1e-12), kernel.support**2 * 1.01, 100.0])
        assert np.all(kernel.evaluate(outside) == 0.0)


def test_unknown_kernel_is_named_in_the_error() -> None:
    with pytest.raises(UnknownKernelError, match=r"kernel must be one of .*got 'cosine'"):
        get_kernel("cosine")
