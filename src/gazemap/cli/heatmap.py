"""Offline heat maps: ``gazemap heatmap`` (an overlay from gaze files, no server or
database) and ``gazemap demo-heatmap`` (the bundled demo set's maps).

Heavy modules (numpy, the readers, the estimator, Pillow) are imported inside the
commands, so ``gazemap --help`` stays instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gazemap.cli.base import app, progress_bar, user_errors
from gazemap.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["HeatmapOptions", "HeatmapResult", "run_heatmap"]

#: Above this many input bytes (about a million CSV rows), or with several files, show progress.
PROGRESS_BYTES = 32 * 2**20


class Weight(StrEnum):
    """How much each point counts."""

    COUNT = "count"
    DURATION = "duration"


class RenderMode(StrEnum):
    """What the overlay draws."""

    HEAT = "heat"
    FOG = "fog"


@app.command()
def heatmap(
    inputs: Annotated[
        list[Path], typer.Argument(help="Gaze files (CSV, TSV, JSON or a vendor export).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    image: Annotated[
        Path | None, typer.Option(help="Stimulus image to draw over; its size is the grid's.")
    ] = None,
    width: Annotated[
        int | None, typer.Option(help="Stimulus width in px (needed without --image).")
    ] = None,
    height: Annotated[
        int | None, typer.Option(help="Stimulus height in px (needed without --image).")
    ] = None,
    input_format: Annotated[
        str, typer.Option("--format", help="Input format name, or 'auto' to detect it.")
    ] = "auto",
    stimulus: Annotated[
        str | None, typer.Option(help="Use only recordings of this stimulus name.")
    ] = None,
    kernel: Annotated[str, typer.Option(help="Kernel name (see gazemap.kde.KERNELS).")] = (
        "gaussian"
    ),
    bandwidth: Annotated[
        str, typer.Option(help="Bandwidth in px (one number or 'BX,BY'), or 'scott'/'silverman'.")
    ] = "30",
    level: Annotated[int, typer.Option(help="Level of detail: grid cells are 2**LEVEL px.")] = 1,
    method: Annotated[str, typer.Option(help="'auto', 'exact' or 'fft'.")] = "auto",
    weight: Annotated[
        Weight, typer.Option(help="'count': every point counts once; 'duration': by fixation ms.")
    ] = Weight.COUNT,
    colormap: Annotated[str, typer.Option(help="Colormap (see gazemap.render.COLORMAPS).")] = (
        "inferno"
    ),
    opacity: Annotated[float, typer.Option(help="Largest alpha of the overlay, 0-1.")] = 0.6,
    threshold: Annotated[
        float, typer.Option(help="Fraction of the scale below which nothing is drawn, 0-1.")
    ] = 0.05,
    scale: Annotated[
        str, typer.Option(help="'max', a percentile like 'p99', or a fixed density value.")
    ] = "max",
    mode: Annotated[
        RenderMode, typer.Option(help="'heat' colours looks; 'fog' darkens the rest.")
    ] = RenderMode.HEAT,
    legend: Annotated[
        Path | None, typer.Option(help="Also write a colour-bar legend PNG here.")
    ] = None,
    npy: Annotated[
        Path | None, typer.Option(help="Also save the density grid (float64) as .npy here.")
    ] = None,
) -> None:
    """Render a heat map of gaze files over a stimulus image, without any server."""
    with user_errors():
        options = HeatmapOptions(
            kernel=kernel,
            bandwidth=_parse_bandwidth(bandwidth),
            level=level,
            method=method,
            weight=weight.value,
            colormap=colormap,
            opacity=opacity,
            threshold=threshold,
            scale=_parse_scale(scale),
            mode=mode.value,
        )
        result = run_heatmap(
            inputs,
            out=out,
            image=image,
            size=(width, height),
            input_format=input_format,
            stimulus=stimulus,
            options=options,
            legend=legend,
            npy=npy,
        )
    typer.echo(result.summary())


@app.command("demo-heatmap")
def demo_heatmap(
    out_dir: Annotated[Path, typer.Option(help="Folder for the PNG files.")] = Path("var/demo"),
    colormap: Annotated[str, typer.Option(help="Colormap (see gazemap.render.COLORMAPS).")] = (
        "inferno"
    ),
    mode: Annotated[
        RenderMode, typer.Option(help="'heat' colours looks; 'fog' darkens the rest.")
    ] = RenderMode.HEAT,
) -> None:
    """Render the bundled demo stimuli's heat maps to PNG files and print their paths."""
    from gazemap.demo import demo_stimuli

    with user_errors():
        options = HeatmapOptions(weight="duration", colormap=colormap, mode=mode.value)
        for demo in demo_stimuli():
            result = run_heatmap(
                [demo.fixations_csv_path],
                out=out_dir / f"{demo.name}.png",
                image=demo.image_path,
                options=options,
                progress=False,
            )
            typer.echo(str(result.out))


def _parse_bandwidth(text: str) -> float | tuple[float, float] | str:
    value = text.strip().lower()
    if value in ("scott", "silverman"):
        return value
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return (parts[0], parts[1])
    raise InvalidInputError(
        f"bandwidth must be a number of px, 'BX,BY', 'scott' or 'silverman', got {text!r}",
        field="bandwidth",
    )


def _parse_scale(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class HeatmapOptions:
    """Estimation and rendering choices of one heat map (defaults are the CLI's)."""

    kernel: str = "gaussian"
    bandwidth: float | tuple[float, float] | str = 30.0
    level: int = 1
    method: str = "auto"
    weight: str = "count"
    colormap: str = "inferno"
    opacity: float = 0.6
    threshold: float = 0.05
    scale: str | float = "max"
    mode: str = "heat"


@dataclass(frozen=True)
class HeatmapResult:
    """What :func:`run_heatmap` wrote."""

    out: Path
    width: int
    height: int
    n_points: int
    n_files: int
    scale: float

    def summary(self) -> str:
        """One line for the terminal."""
        files = "file" if self.n_files == 1 else "files"
        return (
            f"wrote {self.out} ({self.width}x{self.height} px, {self.n_points:,} points "
            f"from {self.n_files} {files}, scale {self.scale:.4g})"
        )


def run_heatmap(
    inputs: Sequence[Path],
    *,
    out: Path,
    image: Path | None = None,
    size: tuple[int | None, int | None] = (None, None),
    input_format: str = "auto",
    stimulus: str | None = None,
    options: HeatmapOptions | None = None,
    legend: Path | None = None,
    npy: Path | None = None,
    progress: bool | None = None,
) -> HeatmapResult:
    """Read gaze files, estimate the density on the stimulus grid, render and write a PNG.

    Parameters
    ----------
    inputs:
        Files for :func:`gazemap.formats.read`; every recording in them is pooled.
    out:
        PNG to write (parent folders are created).
    image:
        Stimulus image; without it ``size`` must give the stimulus ``(width, height)`` and
        the PNG is the transparent overlay alone.
    size:
        ``(width, height)``; with an image, ``None`` or equal to the image's size.
    input_format, stimulus:
        Format name for the reader, and a stimulus name to keep only its recordings.
    options:
        Estimation and rendering choices; default :class:`HeatmapOptions`.
    legend, npy:
        Optional extra outputs: a colour-bar PNG and the density grid as ``.npy``.
    progress:
        Show a progress bar on stderr; ``None`` decides by input size.

    Returns
    -------
    HeatmapResult

    Raises
    ------
    InvalidInputError
        Bad options, unreadable files (:class:`~gazemap.errors.FormatError`), no valid
        points, or a size that contradicts the image.
    """
    import numpy as np

    from gazemap.formats import read
    from gazemap.kde import Grid, density
    from gazemap.render import encode_png, load_image, render_legend, render_overlay

    options = options or HeatmapOptions()
    if options.weight not in ("count", "duration"):
        raise InvalidInputError(
            f"weight must be 'count' or 'duration', got {options.weight!r}", field="weight"
        )
    if options.mode not in ("heat", "fog"):
        raise InvalidInputError(f"mode must be 'heat' or 'fog', got {options.mode!r}", field="mode")
    if not inputs:
        raise InvalidInputError("give at least one gaze file", field="inputs")
    stimulus_image = load_image(image) if image is not None else None
    width, height = _stimulus_size(size, stimulus_image.size if stimulus_image else None)
    if progress is None:
        progress = len(inputs) > 1 or sum(_size_of(p) for p in inputs) > PROGRESS_BYTES

    with progress_bar(enabled=progress) as bar:
        task = bar.add_task("starting", total=len(inputs) + 2)
        chunks: list[npt.NDArray[np.float64]] = []
        weights: list[npt.NDArray[np.float64]] = []
        for path in inputs:
            bar.update(task, description=f"reading {path.name}")
            for rec in read(path, format=input_format):
                if stimulus is not None and rec.stimulus != stimulus:
                    continue
                chunks.append(rec.points)
                if options.weight == "duration":
                    if rec.duration is None:
                        raise InvalidInputError(
                            f"--weight duration needs fixations, but {path} holds gaze "
                            f"{rec.kind}; use --weight count",
                            field="weight",
                        )
                    weights.append(rec.duration[rec.valid])
            bar.advance(task)
        points = np.concatenate(chunks) if chunks else np.empty((0, 2))
        if points.shape[0] == 0:
            which = f" of stimulus {stimulus!r}" if stimulus is not None else ""
            names = ", ".join(str(p) for p in inputs)
            raise InvalidInputError(f"no valid gaze points{which} in {names}", field="inputs")

        bar.update(task, description=f"estimating the density of {points.shape[0]:,} points")
        grid = Grid.for_stimulus(width, height, level=options.level)
        grid_density = density(
            points,
            grid=grid,
            bandwidth=options.bandwidth,
            kernel=options.kernel,
            weights=np.concatenate(weights) if weights else None,
            method=options.method,
        )
        bar.advance(task)

        bar.update(task, description="rendering")
        overlay = render_overlay(
            grid_density,
            image=stimulus_image,
            size=(width, height),
            colormap=options.colormap,
            opacity=options.opacity,
            threshold=options.threshold,
            scale=options.scale,
            mode="fog" if options.mode == "fog" else "heat",
        )
        _write(out, encode_png(overlay.image, metadata={"gazemap:scale": repr(overlay.scale)}))
        if legend is not None:
            picture = render_legend(
                scale=overlay.scale,
                colormap=options.colormap,
                threshold=options.threshold,
                label="density (1/px^2)",  # Pillow's built-in font has no superscript two
            )
            _write(legend, encode_png(picture))
        if npy is not None:
            npy.parent.mkdir(parents=True, exist_ok=True)
            np.save(npy, grid_density)
        bar.advance(task)
    return HeatmapResult(
        out=out,
        width=width,
        height=height,
        n_points=int(points.shape[0]),
        n_files=len(inputs),
        scale=overlay.scale,
    )


def _stimulus_size(
    size: tuple[int | None, int | None], image_size: tuple[int, int] | None
) -> tuple[int, int]:
    width, height = size
    if image_size is not None:
        if (width is not None and width != image_size[0]) or (
            height is not None and height != image_size[1]
        ):
            raise InvalidInputError(
                f"--width/--height {width}x{height} do not match the image's size "
                f"{image_size[0]}x{image_size[1]}; leave them out to use the image's",
                field="size",
            )
        return image_size
    if width is None or height is None:
        raise InvalidInputError(
            "without --image, give the stimulus size with --width and --height", field="size"
        )
    for name, value in (("width", width), ("height", height)):
        if value <= 0:
            raise InvalidInputError(f"{name} must be > 0 px, got {value}", field=name)
    return width, height


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the reader reports the missing file with a proper message


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
