"""Colormap lookup tables: shape, caching, known names, lightness of the perceptual ones."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gazemap.errors import InvalidInputError, UnknownColormapError
from gazemap.render import COLORMAPS, DIVERGING, PERCEPTUAL, colormap_lut


def cielab_lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* of sRGB colours in 0–255 (D65), the standard formula."""
    c = rgb.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    y = linear @ np.array([0.2126, 0.7152, 0.0722])
    f = np.where(y > (6 / 29) ** 3, np.cbrt(y), y / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116.0 * f - 16.0


def test_the_advertised_colormaps_exist() -> None:
    assert {"inferno", "viridis", "turbo", "jet", "RdBu_r", "coolwarm"} <= set(COLORMAPS)
    assert set(COLORMAPS) >= PERCEPTUAL
    assert set(COLORMAPS) >= DIVERGING


@pytest.mark.parametrize("name", sorted(COLORMAPS))
def test_lut_is_256_opaque_rgba_entries_and_cached(name: str) -> None:
    lut = colormap_lut(name)
    assert lut.shape == (256, 4)
    assert lut.dtype == np.uint8
    assert (lut[:, 3] == 255).all()
    assert colormap_lut(name) is lut
    assert not lut.flags.writeable


@pytest.mark.parametrize("name", sorted(PERCEPTUAL))
def test_perceptual_colormaps_have_rising_lightness(name: str) -> None:
    lightness = cielab_lightness(colormap_lut(name)[:, :3])
    # 8-bit rounding may wobble L* by a hair; any real dip would be far larger
    assert (np.diff(lightness) > -0.3).all()
    assert lightness[-1] - lightness[0] > 60


def test_jet_is_not_monotone_which_is_why_it_is_not_the_default() -> None:
    lightness = cielab_lightness(colormap_lut("jet")[:, :3])
    assert (np.diff(lightness) < -1).any()


@pytest.mark.parametrize("name", sorted(DIVERGING))
def test_diverging_colormaps_are_lightest_in_the_middle(name: str) -> None:
    lightness = cielab_lightness(colormap_lut(name)[:, :3])
    middle = lightness[120:136].max()
    assert middle > lightness[0] + 30
    assert middle > lightness[-1] + 30


def test_unknown_colormap_names_the_argument_and_the_choices() -> None:
    with pytest.raises(UnknownColormapError, match=r"colormap must be one of .*inferno.*'nope'"):
        colormap_lut("nope")
    with pytest.raises(InvalidInputError):  # callers may catch the base class
        colormap_lut("Inferno")


def test_importing_render_loads_neither_cmap_nor_the_web_stack() -> None:
    code = (
        "import sys, gazemap.render\n"
        "heavy = [m for m in ('cmap', 'scipy', 'fastapi', 'sqlalchemy') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""
