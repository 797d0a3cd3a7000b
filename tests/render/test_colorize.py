"""Colouring densities: alpha, threshold, scales, upsampling alignment, fog, signed maps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gazemap.errors import InvalidInputError, UnknownColormapError
from gazemap.render import colorize, colorize_with_scale, colormap_lut, upsample

densities = arrays(
    np.float64,
    st.tuples(st.integers(1, 16), st.integers(1, 16)),
    elements=st.floats(0, 1e3, allow_nan=False, allow_infinity=False),
)


def reference_bilinear(d: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre-aligned bilinear resize with clamped edges, written out the slow way."""
    rows, cols = d.shape
    u = np.clip((np.arange(width) + 0.5) * cols / width - 0.5, 0, cols - 1)
    v = np.clip((np.arange(height) + 0.5) * rows / height - 0.5, 0, rows - 1)
    j0, i0 = np.floor(u).astype(int), np.floor(v).astype(int)
    j1, i1 = np.minimum(j0 + 1, cols - 1), np.minimum(i0 + 1, rows - 1)
    fx, fy = (u - j0)[np.newaxis, :], (v - i0)[:, np.newaxis]
    top = d[np.ix_(i0, j0)] * (1 - fx) + d[np.ix_(i0, j1)] * fx
    bottom = d[np.ix_(i1, j0)] * (1 - fx) + d[np.ix_(i1, j1)] * fx
    return top * (1 - fy) + bottom * fy


def test_alpha_rises_with_density_and_is_zero_under_the_threshold() -> None:
    ramp = np.linspace(0.0, 1.0, 1001)[np.newaxis, :]
    rgba = colorize(ramp, threshold=0.2, opacity=0.8, scale=1.0)
    alpha = rgba[0, :, 3].astype(int)
    assert (np.diff(alpha) >= 0).all()
    assert (alpha[ramp[0] < 0.2] == 0).all()
    assert (alpha[ramp[0] > 0.21] > 0).all()
    assert alpha[-1] == round(0.8 * 255)


def test_colours_follow_the_colormap_from_low_to_high() -> None:
    rgba = colorize(np.array([[0.0, 1.0]]), colormap="viridis", threshold=0.0, scale=1.0)
    lut = colormap_lut("viridis")
    assert (rgba[0, 0, :3] == lut[0, :3]).all()
    assert (rgba[0, 1, :3] == lut[255, :3]).all()


def test_zero_threshold_draws_everything_above_zero() -> None:
    rgba = colorize(np.array([[0.0, 0.01, 1.0]]), threshold=0.0, scale=1.0, opacity=1.0)
    assert rgba[0, 0, 3] == 0
    assert rgba[0, 1, 3] > 0


def test_fixed_scale_makes_two_maps_comparable() -> None:
    rng = np.random.default_rng(4)
    a = rng.random((20, 20))
    b = a * 0.5  # half as many looks everywhere
    shared = float(a.max())
    ra, sa = colorize_with_scale(a, scale=shared)
    rb, sb = colorize_with_scale(b, scale=shared)
    assert sa == sb == shared
    # on one scale the weaker map is never hotter, and clearly cooler at the peak
    assert (rb[..., 3] <= ra[..., 3]).all()
    peak = np.unravel_index(np.argmax(a), a.shape)
    assert rb[peak][3] < ra[peak][3]
    # each on its own max scale, the two maps would look identical
    assert (colorize(a) == colorize(b)).all()


def test_percentile_scale_saturates_the_top_cells() -> None:
    d = np.random.default_rng(5).exponential(size=(40, 40))
    rgba, s = colorize_with_scale(d, scale="p90", opacity=1.0)
    assert s == pytest.approx(np.percentile(d, 90))
    top = colormap_lut("inferno")[255]
    saturated = (rgba == top).all(axis=-1)
    assert saturated.sum() >= int(0.1 * d.size) - 1
    assert saturated[d >= s].all()


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_a_single_hot_cell_lands_on_its_own_pixels_at_every_level(level: int) -> None:
    width, height = 96, 64
    step = 2**level
    grid = np.zeros((height // step, width // step))
    i, j = grid.shape[0] // 2 - 1, grid.shape[1] // 3
    grid[i, j] = 1.0
    pixels = upsample(grid, (width, height)).astype(np.float64)
    peak_y, peak_x = np.unravel_index(np.argmax(pixels), pixels.shape)
    assert i * step <= peak_y < (i + 1) * step
    assert j * step <= peak_x < (j + 1) * step
    ys, xs = np.mgrid[0:height, 0:width] + 0.5  # pixel centres
    total = pixels.sum()
    assert (pixels * xs).sum() / total == pytest.approx((j + 0.5) * step)
    assert (pixels * ys).sum() / total == pytest.approx((i + 0.5) * step)


@settings(max_examples=40, deadline=None)
@given(densities, st.integers(1, 5), st.integers(1, 5))
def test_upsample_is_centre_aligned_bilinear(d: np.ndarray, fx: int, fy: int) -> None:
    width, height = d.shape[1] * fx + fx // 2, d.shape[0] * fy + fy // 2
    got = upsample(d, (width, height))
    expected = reference_bilinear(d, width, height)
    assert got.shape == (height, width)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_fog_darkens_what_nobody_looked_at() -> None:
    d = np.zeros((10, 10))
    d[4:6, 4:6] = 1.0
    fog = colorize(d, mode="fog", opacity=0.9, threshold=0.05)
    assert (fog[..., :3] == 0).all()
    assert fog[0, 0, 3] == round(0.9 * 255)
    assert fog[5, 5, 3] == 0
    heat = colorize(d, mode="heat")
    assert heat[0, 0, 3] == 0  # the heat mode leaves the same region untouched


def test_fog_of_an_empty_map_covers_everything() -> None:
    fog, s = colorize_with_scale(np.zeros((3, 3)), mode="fog", opacity=0.5)
    assert s == 0.0
    assert (fog[..., 3] == round(0.5 * 255)).all()
    heat = colorize(np.zeros((3, 3)))
    assert (heat == 0).all()


def test_signed_maps_put_zero_in_the_middle_of_a_diverging_colormap() -> None:
    d = np.array([[-1.0, 0.0, 1.0]])
    rgba, s = colorize_with_scale(
        d, colormap="RdBu_r", signed=True, scale="max", threshold=0.1, opacity=1.0
    )
    lut = colormap_lut("RdBu_r")
    assert s == 1.0
    assert (rgba[0, 0, :3] == lut[0, :3]).all()
    assert (rgba[0, 2, :3] == lut[255, :3]).all()
    assert rgba[0, 1, 3] == 0  # no difference: transparent
    assert rgba[0, 0, 3] == rgba[0, 2, 3] == 255


@pytest.mark.parametrize("mode", ["heat", "fog"])
def test_signed_maps_upsample_like_unsigned_ones(mode: str) -> None:
    d = np.zeros((4, 6))
    d[1, 1], d[2, 4] = -1.0, 1.0
    rgba = colorize(d, size=(60, 40), signed=True, colormap="coolwarm", mode=mode)  # type: ignore[arg-type]
    assert rgba.shape == (40, 60, 4)
    unsigned = colorize(np.abs(d), size=(60, 40), mode=mode)  # type: ignore[arg-type]
    assert (rgba[..., 3] == unsigned[..., 3]).all()  # alpha follows the magnitude


def test_size_defaults_to_the_grid() -> None:
    assert colorize(np.ones((3, 5))).shape == (3, 5, 4)
    assert colorize(np.ones((3, 5)), size=(50, 30)).shape == (30, 50, 4)


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"opacity": 1.5}, "opacity"),
        ({"opacity": -0.1}, "opacity"),
        ({"opacity": "lots"}, "opacity"),
        ({"threshold": 1.0}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"scale": -2.0}, "scale"),
        ({"mode": "glow"}, "mode"),
        ({"size": (0, 10)}, "size"),
        ({"size": (10.5, 10)}, "size"),
    ],
)
def test_bad_options_are_refused_naming_the_argument(options: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^{name} must") as info:
        colorize(np.ones((2, 2)), **options)  # type: ignore[arg-type]
    assert info.value.field == name


def test_unknown_colormap_is_refused_even_in_fog_mode() -> None:
    with pytest.raises(UnknownColormapError):
        colorize(np.ones((2, 2)), colormap="rainbow-unicorn", mode="fog")


@settings(max_examples=60, deadline=None)
@given(
    densities,
    st.floats(0, 1),
    st.floats(0, 0.99),
    st.sampled_from(["heat", "fog"]),
    st.booleans(),
)
def test_output_is_rgba_uint8_of_the_grid_shape(
    d: np.ndarray, opacity: float, threshold: float, mode: str, signed: bool
) -> None:
    rgba = colorize(d, opacity=opacity, threshold=threshold, mode=mode, signed=signed)  # type: ignore[arg-type]
    assert rgba.shape == (*d.shape, 4)
    assert rgba.dtype == np.uint8
    assert rgba[..., 3].max() <= round(opacity * 255)


@settings(max_examples=60, deadline=None)
@given(densities, st.floats(0, 0.99))
def test_more_density_never_means_less_alpha(d: np.ndarray, threshold: float) -> None:
    flat = np.sort(d.ravel())[np.newaxis, :]
    alpha = colorize(flat, threshold=threshold, scale=max(float(flat.max()), 1e-9))[0, :, 3]
    assert (np.diff(alpha.astype(int)) >= 0).all()
    fog = colorize(flat, threshold=threshold, mode="fog", scale=max(float(flat.max()), 1e-9))
    assert (np.diff(fog[0, :, 3].astype(int)) <= 0).all()


@pytest.mark.parametrize("scale", [1e-300, 1e300, "max"])
def test_extreme_magnitudes_render_without_overflow(scale: float | str) -> None:
    d = np.array([[0.0, 1e-200], [1e-100, 1.0]])
    rgba = colorize(d * 1e-150 if scale == "max" else d, scale=scale, threshold=0.0, opacity=1.0)
    assert rgba.shape == (2, 2, 4)
    if scale == 1e-300:
        assert (rgba[1, 1] == colormap_lut("inferno")[255]).all()
        assert rgba[1, 0, 3] == 255
    if scale == 1e300:
        assert (rgba[..., 3] == 0).all()
