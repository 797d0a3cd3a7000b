"""The cached density of one request: grid, points, bandwidth, KDE, and the rendered picture.

The shared core of :func:`~gazemap.service.heatmaps.build_heatmap` and
:func:`~gazemap.service.compare.compare`: :func:`cached_density` answers a density from
the heat-map cache or computes it once (:func:`compute_density`), and
:func:`render_cached` does the same for a picture of it. See ``docs/service.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.cache import (
    decode_density,
    encode_density,
    get_or_compute,
    make_key,
    pack_entry,
    unpack_entry,
)
from gazemap.errors import PayloadTooLargeError
from gazemap.gaze import ScreenGeometry
from gazemap.kde import Grid, auto_method, density, resolve_bandwidth
from gazemap.render import encode_png, render_overlay
from gazemap.service import policy
from gazemap.service.context import ServiceContext
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.points import GazePoints, gather, load_rows
from gazemap.service.stimulus_view import (
    StimulusView,
    bandwidth_px,
    screen_geometry,
    stimulus_picture,
)
from gazemap.store.slices import Slice

__all__ = [
    "cached_density",
    "cached_picture",
    "compute_density",
    "etag_of",
    "heatmap_grid",
    "numeric_bandwidth",
    "render_cached",
]

FloatArray = npt.NDArray[np.float64]


def heatmap_grid(view: StimulusView, params: HeatmapParams, *, max_cells: int) -> Grid:
    """The grid of ``params`` over the stimulus, refused above ``max_cells``.

    Raises
    ------
    InvalidGridError
        The grid has more than ``max_cells`` cells.
    """
    level = params.effective_level
    if level is not None:
        return Grid.for_stimulus(view.width, view.height, level=level, max_cells=max_cells)
    return Grid(
        view.width, view.height, int(params.cols or 0), int(params.rows or 0), max_cells=max_cells
    )


def _method_used(n: int, grid: Grid, bw: tuple[float, float], params: HeatmapParams) -> str:
    if params.method != "auto":
        return params.method
    return auto_method(n, grid, bw, kernel=params.kernel)


def numeric_bandwidth(
    params: HeatmapParams, view: StimulusView, screens: list[ScreenGeometry], meta: dict[str, Any]
) -> tuple[float, float] | None:
    """The bandwidth in px when it is a number (converting degrees), else ``None``."""
    if isinstance(params.bandwidth, str):
        return None
    if params.bandwidth_unit == "px":
        return (float(params.bandwidth), float(params.bandwidth))
    geometry, source = screen_geometry(view.study_screen, screens)
    px = bandwidth_px(float(params.bandwidth), geometry)
    meta["bandwidth_deg"] = float(params.bandwidth)
    meta["geometry"] = {"source": source, **geometry.to_dict()}
    return (px, px)


def compute_density(
    ctx: ServiceContext,
    view: StimulusView,
    params: HeatmapParams,
    slice: Slice,
    grid: Grid,
) -> tuple[FloatArray, dict[str, Any], GazePoints]:
    """Select, gather and estimate: the uncached core of :func:`build_heatmap`.

    Returns
    -------
    tuple
        The density, its metadata (without cache outcomes) and the points used.
    """
    # Rows are read in a later transaction than view.data_version. An upload or erasure
    # committed in between makes this map newer than its key says, never older: later
    # requests read the new data_version and use a new key.
    with ctx.session() as session:
        rows = load_rows(session, stimulus_id=view.id, slice=slice)
    gathered = gather(ctx.blobs, ctx.arrays, rows, params=params)
    limit = ctx.settings.kde.max_points
    if gathered.n_points > limit:
        raise PayloadTooLargeError(
            f"the selection has {gathered.n_points} points, more than kde.max_points={limit}; "
            "narrow the slice or the time window, or use fixations"
        )
    meta: dict[str, Any] = {
        "stimulus_id": view.id,
        "data_version": view.data_version,
        **gathered.summary(),
        # participants with points left after the window: the minimum group size counts these
        "contributors": policy.contributors(gathered),
        "grid": {
            "cols": grid.cols,
            "rows": grid.rows,
            "level": params.effective_level,
            "width": view.width,
            "height": view.height,
        },
        "params": params.canonical(),
        "slice": slice.canonical(),
    }
    pair = numeric_bandwidth(params, view, [r.screen for r in rows], meta)
    has_mass = gathered.n_points > 0 and float(gathered.weights.sum()) > 0
    if pair is None and has_mass:
        pair = resolve_bandwidth(gathered.points, params.bandwidth, weights=gathered.weights)
    meta["bandwidth"] = None if pair is None else [pair[0], pair[1]]
    if not has_mass or pair is None:
        meta["method"] = None
        return np.zeros(grid.shape), meta, gathered
    meta["method"] = _method_used(gathered.n_points, grid, pair, params)
    result = density(
        gathered.points,
        grid=grid,
        bandwidth=pair,
        kernel=params.kernel,
        weights=gathered.weights,
        method=meta["method"],
        max_cells=ctx.settings.kde.max_cells,
    )
    return result, meta, gathered


def cached_density(
    ctx: ServiceContext,
    view: StimulusView,
    params: HeatmapParams,
    slice: Slice,
    *,
    on_miss: Callable[[Grid], None] | None = None,
) -> tuple[FloatArray, dict[str, Any], str, str]:
    """The density of ``params`` and ``slice`` from the cache, computed once on a miss.

    Parameters
    ----------
    ctx, view, params, slice:
        Context, authorised stimulus, estimation parameters and slice.
    on_miss:
        Called with the grid when the first lookup misses, before anything is computed
        (a group-size check, a cost bound); its exceptions propagate and nothing is
        computed. A hit never calls it.

    Returns
    -------
    tuple
        Density, metadata, cache outcome and the density's cache key.

    Raises
    ------
    InvalidGridError
        Before any work, when the grid exceeds ``settings.kde.max_cells``.
    """
    grid = heatmap_grid(view, params, max_cells=ctx.settings.kde.max_cells)
    key = make_key(
        "density",
        stimulus_id=view.id,
        data_version=view.data_version,
        params=params.canonical(),
        slice=slice.canonical(),
    )
    if on_miss is not None:
        found = ctx.cache.lookup(key)
        if found.value is not None:
            outcome = f"hit-{found.tier}"
            ctx.cache.stats.record_outcome(outcome)
            d, meta = decode_density(found.value)
            return d, dict(meta), outcome, key
        on_miss(grid)
    fresh: list[tuple[FloatArray, dict[str, Any]]] = []

    def compute() -> bytes:
        d, meta, _ = compute_density(ctx, view, params, slice, grid)
        fresh.append((d, meta))
        return encode_density(d, meta)

    value, outcome = get_or_compute(ctx.cache, key, compute)
    # the computing caller keeps its array; everyone else decodes (one copy)
    d, meta = fresh[0] if fresh else decode_density(value)
    return d, dict(meta), outcome, key


def render_cached(
    ctx: ServiceContext,
    view: StimulusView,
    key: str,
    d: FloatArray,
    render: RenderOptions,
    *,
    signed: bool = False,
    render_key: Callable[[], str],
    density_meta: Mapping[str, Any] | None = None,
) -> tuple[bytes, dict[str, Any], str, str]:
    """The PNG of ``d`` drawn with ``render``, cached under ``render_key()``.

    ``density_meta`` (the metadata of ``d``, JSON-ready) is stored in the image entry
    so that :func:`cached_picture` can answer the picture without reading ``d``.

    Returns
    -------
    tuple
        PNG bytes, the image entry's metadata (``scale``), cache outcome, image key.
    """
    ikey = render_key()

    def compute() -> bytes:
        image = None
        if render.overlay and view.image_key is not None:
            image = stimulus_picture(ctx.blobs, ctx.arrays, view.image_key)
        overlay = render_overlay(
            d,
            image=image,
            size=None if image is not None else (view.width, view.height),
            colormap=render.colormap,
            opacity=render.opacity,
            threshold=render.threshold,
            scale=render.scale,
            signed=signed,
            mode=render.mode,
        )
        png = encode_png(overlay.image, metadata={"gazemap:scale": repr(overlay.scale)})
        meta: dict[str, Any] = {"scale": overlay.scale, "density_key": key}
        if density_meta is not None:
            meta["density_meta"] = dict(density_meta)
        return pack_entry(png, meta)

    value, outcome = get_or_compute(ctx.cache, ikey, compute)
    entry = unpack_entry(value)
    return entry.payload, entry.meta, outcome, ikey


def cached_picture(
    ctx: ServiceContext, image_key: str
) -> tuple[bytes, dict[str, Any], str, str, str] | None:
    """A cached picture with its density's metadata, without reading the density.

    Parameters
    ----------
    ctx:
        Service context.
    image_key:
        The picture's cache key (``make_key("image", ...)``).

    Returns
    -------
    tuple or None
        PNG bytes, the density's metadata plus ``scale``, the cache outcome
        (``hit-<tier>``), the density's key and ``image_key``; ``None`` on a miss, or
        for an entry written without the density's metadata (the caller then takes the
        density first, as :func:`render_cached` needs it anyway).
    """
    found = ctx.cache.lookup(image_key)
    if found.value is None:
        return None
    entry = unpack_entry(found.value)
    density_meta = entry.meta.get("density_meta")
    key = entry.meta.get("density_key")
    if not isinstance(density_meta, dict) or not isinstance(key, str):
        return None
    outcome = f"hit-{found.tier}"
    ctx.cache.stats.record_outcome(outcome)
    meta = dict(density_meta)
    meta["scale"] = entry.meta.get("scale")
    return entry.payload, meta, outcome, key, image_key


def etag_of(*keys: str) -> str:
    """A short strong validator made from cache keys."""
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:32]
