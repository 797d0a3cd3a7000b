"""Overlay on the stimulus, legends, PNG encoding, and a real OSIE image end to end."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gazemap.errors import InvalidInputError, UnknownColormapError
from gazemap.render import encode_png, load_image, render_legend, render_overlay


def hot_spot(rows: int = 30, cols: int = 40) -> np.ndarray:
    d = np.zeros((rows, cols))
    d[10:14, 20:26] = 1.0
    return d


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
def test_overlay_keeps_the_image_size_and_colour_mode(mode: str) -> None:
    stimulus = Image.new(mode, (160, 120))
    out = render_overlay(hot_spot(), image=stimulus)
    assert out.image.size == (160, 120)
    assert out.image.mode == ("RGBA" if mode == "RGBA" else "RGB")
    assert out.scale == 1.0


def test_overlay_changes_only_where_people_looked() -> None:
    grey = Image.new("RGB", (160, 120), (128, 128, 128))
    pixels = np.asarray(render_overlay(hot_spot(), image=grey).image).astype(int)
    assert (pixels[:20, :40] == 128).all()  # far from the spot: the stimulus as it was
    assert np.abs(pixels[46, 92] - 128).sum() > 60  # inside the spot: clearly coloured


def test_fog_darkens_unlooked_regions_of_the_image() -> None:
    white = Image.new("RGB", (160, 120), "white")
    pixels = np.asarray(render_overlay(hot_spot(), image=white, mode="fog", opacity=0.8).image)
    assert pixels[5, 5].max() == round(255 * 0.2)
    assert (pixels[46, 92] == 255).all()


def test_overlay_without_image_is_transparent_where_nobody_looked() -> None:
    out = render_overlay(hot_spot(), size=(80, 60))
    assert out.image.mode == "RGBA"
    assert out.image.size == (80, 60)
    alpha = np.asarray(out.image)[..., 3]
    assert alpha[0, 0] == 0
    assert alpha[24, 46] > 0


def test_overlay_returns_the_resolved_scale() -> None:
    d = np.random.default_rng(7).random((10, 10)) * 3
    assert render_overlay(d).scale == d.max()
    assert render_overlay(d, scale="p50").scale == pytest.approx(np.median(d))
    assert render_overlay(d, scale=5.0).scale == 5.0


def test_overlay_refuses_a_size_that_contradicts_the_image() -> None:
    with pytest.raises(InvalidInputError, match=r"size \(10, 10\) does not match"):
        render_overlay(hot_spot(), image=Image.new("RGB", (20, 20)), size=(10, 10))


def test_unreadable_image_is_a_named_error(tmp_path: Path) -> None:
    bogus = tmp_path / "stim.jpg"
    bogus.write_text("not an image")
    with pytest.raises(InvalidInputError, match=r"image .*stim\.jpg.* cannot be read"):
        render_overlay(hot_spot(), image=bogus)
    with pytest.raises(InvalidInputError, match="cannot be read"):
        load_image(tmp_path / "missing.png")


def test_png_round_trip_keeps_pixels_and_metadata() -> None:
    out = render_overlay(hot_spot(), size=(40, 30))
    png = encode_png(out.image, metadata={"gazemap:scale": repr(out.scale)})
    back = Image.open(io.BytesIO(png))
    assert back.format == "PNG"
    assert back.mode == "RGBA"
    assert back.text["gazemap:scale"] == "1.0"
    assert (np.asarray(back) == np.asarray(out.image)).all()
    assert len(encode_png(out.image, compress_level=0)) > len(png)


@pytest.mark.parametrize("level", [-1, 10, 2.5, True])
def test_png_refuses_a_bad_compress_level(level: object) -> None:
    with pytest.raises(InvalidInputError, match="compress_level"):
        encode_png(Image.new("RGB", (2, 2)), compress_level=level)  # type: ignore[arg-type]


def test_legend_shows_the_colormap_left_to_right() -> None:
    legend = render_legend(scale=0.004, colormap="viridis", threshold=0.0, width=300)
    assert legend.mode == "RGBA"
    assert legend.width == 300
    pixels = np.asarray(legend)
    bar_row = pixels[pixels.shape[0] // 2 - 2]
    left, right = bar_row[12, :3].astype(int), bar_row[-12, :3].astype(int)
    assert left[2] > left[1]  # viridis starts purple-blue
    assert right[0] > 200  # and ends yellow
    assert right[1] > 200
    assert right[2] < 100


def test_legend_marks_the_hidden_range_and_differs_with_scale() -> None:
    a = np.asarray(render_legend(scale=1.0, threshold=0.3))
    b = np.asarray(render_legend(scale=2.0, threshold=0.3))
    assert a.shape == b.shape
    assert (a != b).any()  # tick labels differ
    row = a[a.shape[0] // 2 - 2]
    greys = row[11:60, :3].astype(int)
    assert (np.ptp(greys, axis=1) == 0).all()  # the checkerboard is grey


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"scale": -1.0}, "scale"),
        ({"scale": float("inf")}, "scale"),
        ({"scale": 1.0, "width": 50}, "width"),
        ({"scale": 1.0, "ticks": 1}, "ticks"),
        ({"scale": 1.0, "threshold": 2}, "threshold"),
        ({"scale": 1.0, "font_size": 500}, "font_size"),
    ],
)
def test_legend_refuses_bad_options(options: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInputError, match=f"^{name} must"):
        render_legend(**options)  # type: ignore[arg-type]


def test_legend_refuses_unknown_colormap() -> None:
    with pytest.raises(UnknownColormapError):
        render_legend(scale=1.0, colormap="nope")


def test_real_osie_image_renders_warm_where_fixations_are(real_data: Path) -> None:
    image = real_data / "osie-natural-images" / "stimuli" / "1001.jpg"
    stimulus = load_image(image)
    d = np.zeros((stimulus.height // 4, stimulus.width // 4))
    d[60:90, 80:120] = 1.0  # stands in for a fixation cluster
    out = render_overlay(d, image=image, opacity=0.7)
    assert out.image.size == stimulus.size == (800, 600)
    assert out.image.mode == "RGB"
    before = np.asarray(stimulus.convert("RGB")).astype(int)
    after = np.asarray(out.image).astype(int)
    assert (after[:100, :100] == before[:100, :100]).all()
    assert np.abs(after[300, 400] - before[300, 400]).sum() > 50
