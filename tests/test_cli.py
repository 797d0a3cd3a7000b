"""The ``gazemap`` command line: offline heat maps, the demo set, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from gazemap.cli import app, main
from gazemap.demo import demo_stimuli
from gazemap.formats import read
from gazemap.kde import Grid, density

REPO = Path(__file__).resolve().parents[1]
GAZEMAP_SCRIPT = Path(sys.executable).with_name("gazemap")

runner = CliRunner()


@pytest.fixture(scope="module")
def demo() -> tuple[Path, Path]:
    """The first bundled demo stimulus: (fixations CSV, image)."""
    first = demo_stimuli()[0]
    return first.fixations_csv_path, first.image_path


def pooled(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every valid point of a file and its fixation durations, as the CLI pools them."""
    recordings = read(path)
    points = np.concatenate([r.points for r in recordings])
    durations = np.concatenate([r.duration[r.valid] for r in recordings if r.duration is not None])
    return points, durations


def png(path: Path) -> Image.Image:
    with Image.open(path) as img:
        assert img.format == "PNG"
        img.load()
        return img


def test_heatmap_over_the_demo_image_writes_a_png_of_its_size(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    csv, image = demo
    out = tmp_path / "heat.png"
    result = runner.invoke(app, ["heatmap", str(csv), "--image", str(image), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out} (800x600 px, 168 points from 1 file" in result.stdout
    img = png(out)
    assert img.size == (800, 600)
    assert img.mode == "RGB"
    assert float(img.text["gazemap:scale"]) > 0
    assert (np.asarray(img) != np.asarray(Image.open(image).convert("RGB"))).any()


def test_npy_output_is_exactly_gazemap_kde_density(demo: tuple[Path, Path], tmp_path: Path) -> None:
    csv, image = demo
    npy = tmp_path / "d.npy"
    args = ["heatmap", str(csv), "--image", str(image), "--out", str(tmp_path / "h.png")]
    result = runner.invoke(app, [*args, "--npy", str(npy), "--level", "2", "--bandwidth", "25"])
    assert result.exit_code == 0, result.output
    points, _ = pooled(csv)
    expected = density(points, grid=Grid.for_stimulus(800, 600, level=2), bandwidth=25.0)
    got = np.load(npy)
    assert got.shape == (150, 200)
    np.testing.assert_array_equal(got, expected)


def test_duration_weighting_uses_fixation_durations(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    csv, _ = demo
    npy = tmp_path / "w.npy"
    result = runner.invoke(
        app,
        [
            "heatmap",
            str(csv),
            "--width",
            "800",
            "--height",
            "600",
            "--out",
            str(tmp_path / "w.png"),
            "--weight",
            "duration",
            "--bandwidth",
            "scott",
            "--npy",
            str(npy),
        ],
    )
    assert result.exit_code == 0, result.output
    points, durations = pooled(csv)
    grid = Grid.for_stimulus(800, 600, level=1)
    expected = density(points, grid=grid, bandwidth="scott", weights=durations)
    np.testing.assert_array_equal(np.load(npy), expected)
    unweighted = density(points, grid=grid, bandwidth="scott")
    assert not np.allclose(expected, unweighted)


def test_without_image_the_overlay_is_transparent_outside_the_looks(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    csv, _ = demo
    out, legend = tmp_path / "o.png", tmp_path / "legend.png"
    result = runner.invoke(
        app,
        [
            "heatmap",
            str(csv),
            "--width",
            "800",
            "--height",
            "600",
            "--out",
            str(out),
            "--colormap",
            "turbo",
            "--scale",
            "p99",
            "--legend",
            str(legend),
        ],
    )
    assert result.exit_code == 0, result.output
    img = png(out)
    assert img.mode == "RGBA"
    assert img.size == (800, 600)
    alpha = np.asarray(img)[..., 3]
    assert alpha.min() == 0
    assert alpha.max() > 100
    assert png(legend).mode == "RGBA"


def test_fog_mode_darkens_the_image(demo: tuple[Path, Path], tmp_path: Path) -> None:
    csv, image = demo
    out = tmp_path / "fog.png"
    result = runner.invoke(
        app,
        ["heatmap", str(csv), "--image", str(image), "--out", str(out), "--mode", "fog"],
    )
    assert result.exit_code == 0, result.output
    fogged = np.asarray(png(out)).astype(float)
    original = np.asarray(Image.open(image).convert("RGB")).astype(float)
    assert (fogged <= original + 1).all()
    assert fogged.mean() < 0.7 * original.mean()


def test_several_files_are_pooled(demo: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = demo_stimuli()[:2]
    result = runner.invoke(
        app,
        [
            "heatmap",
            str(first.fixations_csv_path),
            str(second.fixations_csv_path),
            "--width",
            "800",
            "--height",
            "600",
            "--out",
            str(tmp_path / "both.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    total = first.n_fixations + second.n_fixations
    assert f"{total} points from 2 files" in result.stdout


def test_stimulus_filter_keeps_only_that_stimulus(demo: tuple[Path, Path], tmp_path: Path) -> None:
    csv, image = demo
    args = ["heatmap", str(csv), "--image", str(image), "--out", str(tmp_path / "s.png")]
    result = runner.invoke(app, [*args, "--stimulus", "no-such-stimulus"])
    assert result.exit_code == 2
    assert "no valid gaze points of stimulus 'no-such-stimulus'" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--bandwidth", "wide"], "bandwidth must be"),
        (["--bandwidth", "-3"], "bandwidth"),
        (["--colormap", "rainbow"], "colormap must be one of"),
        (["--opacity", "1.5"], "opacity must be in [0, 1]"),
        (["--threshold", "-1"], "threshold must be in [0, 1)"),
        (["--scale", "median"], "scale must be"),
        (["--kernel", "pyramid"], "kernel"),
        (["--level", "-1"], "level must be"),
        (["--width", "640"], "do not match the image's size 800x600"),
    ],
)
def test_bad_parameters_exit_2_with_one_line(
    demo: tuple[Path, Path], tmp_path: Path, extra: list[str], message: str
) -> None:
    csv, image = demo
    args = ["heatmap", str(csv), "--image", str(image), "--out", str(tmp_path / "x.png")]
    result = runner.invoke(app, args + extra)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists()


def test_bad_files_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["heatmap", str(tmp_path / "nope.csv"), "--width", "9", "--height", "9", "-o", "x.png"]
    )
    assert missing.exit_code == 2
    assert "nope.csv" in missing.stderr
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\x01\x02 not gaze data at all")
    bad = runner.invoke(
        app, ["heatmap", str(garbage), "--width", "9", "--height", "9", "-o", str(tmp_path / "g")]
    )
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: ")
    assert "garbage.csv" in bad.stderr


def test_missing_size_and_duration_of_samples_are_explained(tmp_path: Path) -> None:
    samples = tmp_path / "samples.csv"
    samples.write_text("t,x,y\n0,10,10\n4,11,10\n8,12,11\n", encoding="utf-8")
    no_size = runner.invoke(app, ["heatmap", str(samples), "-o", str(tmp_path / "a.png")])
    assert no_size.exit_code == 2
    assert "without --image, give the stimulus size with --width and --height" in no_size.stderr
    by_duration = runner.invoke(
        app,
        [
            "heatmap",
            str(samples),
            "--width",
            "64",
            "--height",
            "48",
            "-o",
            str(tmp_path / "b.png"),
            "--weight",
            "duration",
        ],
    )
    assert by_duration.exit_code == 2
    assert "--weight duration needs fixations" in by_duration.stderr


def test_demo_heatmap_renders_every_demo_stimulus(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo-heatmap", "--out-dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert [p.stem for p in paths] == [s.name for s in demo_stimuli()]
    for path, stimulus in zip(paths, demo_stimuli(), strict=True):
        img = png(path)
        assert img.size == (stimulus.width, stimulus.height)


def test_main_prints_usage_errors_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["heatmap", "x.csv", "--out", "o.png", "--opacity", "lots"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "--opacity" in err
    assert err.count("\n") == 1


def test_main_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "heatmap" in out
    assert "demo-heatmap" in out


def test_installed_script_renders_a_real_osie_image(real_data: Path, tmp_path: Path) -> None:
    """The console script, in a real process, on an OSIE image converted here (not bundled)."""
    source = real_data / "osie-natural-images"
    converted = tmp_path / "osie"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_demo_data.py"),
            "--source",
            str(source),
            "--out",
            str(converted),
            "--images",
            "1001",
        ],
        check=True,
        capture_output=True,
    )
    out, npy = tmp_path / "1001.png", tmp_path / "1001.npy"
    run = subprocess.run(
        [
            str(GAZEMAP_SCRIPT),
            "heatmap",
            str(converted / "osie-1001.csv"),
            "--image",
            str(converted / "osie-1001.jpg"),
            "--out",
            str(out),
            "--npy",
            str(npy),
            "--weight",
            "duration",
            "--colormap",
            "viridis",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "800x600 px, 141 points" in run.stdout
    img = png(out)
    assert (img.size, img.mode) == ((800, 600), "RGB")
    points, durations = pooled(converted / "osie-1001.csv")
    expected = density(
        points, grid=Grid.for_stimulus(800, 600, level=1), bandwidth=30.0, weights=durations
    )
    np.testing.assert_array_equal(np.load(npy), expected)

    bad = subprocess.run(
        [str(GAZEMAP_SCRIPT), "heatmap", str(converted / "osie-1001.csv"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: without --image")
    assert "Traceback" not in bad.stderr


def test_importing_the_cli_is_light() -> None:
    code = (
        "import sys, gazemap.cli\n"
        "heavy = [m for m in ('numpy', 'PIL', 'gazemap.kde', 'gazemap.formats') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""
