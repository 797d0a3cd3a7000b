"""Heat maps of one stimulus: :func:`build_heatmap` and :func:`estimate_cost`.

Pipeline (``docs/service.md``): authorise → select recordings
(:func:`gazemap.store.queries.select_recordings`) → decoded arrays from the in-process
:class:`~gazemap.service.arrays.ArrayCache` → fixations (detected on the fly, cached) or
samples → time window → weights → normalisation → :func:`gazemap.kde.density` → cached
density → rendered PNG, cached separately so recolouring never recomputes the KDE.

Two cache keys (:func:`gazemap.cache.make_key`): ``density`` over (stimulus,
``data_version``, canonical params, canonical slice) and ``image`` over the same plus
the canonical render options. Both go through :func:`gazemap.cache.get_or_compute`, so
concurrent identical misses compute once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
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
from gazemap.kde import Grid, density, resolve_bandwidth
from gazemap.kde import estimate_cost as kde_estimate_cost
from gazemap.render import encode_png, render_overlay
from gazemap.service.actor import Actor
from gazemap.service.arrays import array_cache
from gazemap.service.authorise import authorised_stimulus
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

__all__ = ["HeatmapResult", "build_heatmap", "estimate_cost", "heatmap_grid"]

FloatArray = npt.NDArray[np.float64]

#: Bandwidth assumed by :func:`estimate_cost` for a rule (``scott``/``silverman``), which
#: cannot be resolved without reading the points; the default bandwidth of HeatmapParams.
RULE_COST_BANDWIDTH_PX = 40.0


@dataclass(frozen=True)
class HeatmapResult:
    """A heat map: the density grid, its picture and how it was made.

    Attributes
    ----------
    density:
        ``(rows, cols)`` float64, exactly :func:`gazemap.kde.density` of the points used,
        in 1/px², row 0 at the top.
    png:
        The rendered picture when render options were given, else ``None``.
    meta:
        ``stimulus_id``, ``data_version``, ``participants``, ``recordings``, ``points``,
        ``bandwidth`` (resolved ``[bx, by]`` px, ``None`` for a rule without points),
        ``bandwidth_deg`` (when asked in degrees), ``geometry`` (screen set-up and its
        source, for degrees), ``grid`` (``cols``, ``rows``, ``level``, ``width``,
        ``height``), ``method`` (``exact`` or ``fft``, what ran), ``params`` and
        ``slice`` (canonical), ``scale`` (the density at the top colour, when rendered),
        ``render`` (canonical, when rendered) and ``cache`` (outcome per value).
    cache:
        How the value asked for was answered (see :data:`gazemap.cache.Outcome`): the
        image's outcome when rendered, else the density's.
    etag:
        A strong validator for HTTP: a hash of the cache key(s), so it changes exactly
        when the answer may.
    """

    density: FloatArray
    png: bytes | None
    meta: dict[str, Any]
    cache: str
    etag: str


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
    auto = kde_estimate_cost(n, grid, bw, kernel=params.kernel, method="auto")
    exact = kde_estimate_cost(n, grid, bw, kernel=params.kernel, method="exact")
    return "exact" if auto == exact else "fft"


def _numeric_bandwidth(
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
    gathered = gather(ctx.blobs, array_cache(ctx), rows, params=params)
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
    pair = _numeric_bandwidth(params, view, [r.screen for r in rows], meta)
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
    ctx: ServiceContext, view: StimulusView, params: HeatmapParams, slice: Slice
) -> tuple[FloatArray, dict[str, Any], str, str]:
    """The density of ``params`` and ``slice`` from the cache, computed once on a miss.

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
) -> tuple[bytes, dict[str, Any], str, str]:
    """The PNG of ``d`` drawn with ``render``, cached under ``render_key()``.

    Returns
    -------
    tuple
        PNG bytes, the image entry's metadata (``scale``), cache outcome, image key.
    """
    ikey = render_key()

    def compute() -> bytes:
        image = None
        if render.overlay and view.image_key is not None:
            image = stimulus_picture(ctx.blobs, array_cache(ctx), view.image_key)
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
        return pack_entry(png, {"scale": overlay.scale, "density_key": key})

    value, outcome = get_or_compute(ctx.cache, ikey, compute)
    entry = unpack_entry(value)
    return entry.payload, entry.meta, outcome, ikey


def etag_of(*keys: str) -> str:
    """A short strong validator made from cache keys."""
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:32]


def build_heatmap(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice: Slice,
    render: RenderOptions | None = None,
) -> HeatmapResult:
    """The heat map of one stimulus for one slice of its recordings.

    Parameters
    ----------
    ctx:
        Service context (database, blob store, caches, settings).
    actor:
        The caller; must be allowed to view the stimulus's study (and the slice).
    stimulus_id:
        The stimulus.
    params:
        How to estimate (kernel, bandwidth, grid, points, weights, normalisation, window).
    slice:
        Which participants and recordings.
    render:
        How to draw the PNG; ``None`` returns the density only.

    Returns
    -------
    HeatmapResult
        Density, PNG, metadata, cache outcome and ETag. A slice with no recordings (or
        no points in the window) gives an all-zero density with ``points == 0``.

    Raises
    ------
    NotFoundError
        No such stimulus, or the caller may not see it.
    PermissionDeniedError, GroupTooSmallError
        From the policy, for a role or slice the caller is not allowed.
    InvalidGridError
        The grid has more cells than ``settings.kde.max_cells`` (checked before any work).
    PayloadTooLargeError
        The selection holds more points than ``settings.kde.max_points``.
    InvalidInputError
        Bad parameters (e.g. a bandwidth rule on points that all coincide).
    StorageError
        A gaze blob or the stimulus image is missing or corrupt.
    """
    view = authorised_stimulus(ctx, actor, stimulus_id, slice=slice)
    d, meta, outcome, key = cached_density(ctx, view, params, slice)
    meta["cache"] = {"density": outcome}
    if render is None:
        meta["scale"] = None
        return HeatmapResult(d, None, meta, outcome, etag_of(key))

    def image_key() -> str:
        return make_key(
            "image",
            stimulus_id=view.id,
            data_version=view.data_version,
            params=params.canonical(),
            slice=slice.canonical(),
            render=render.canonical(),
        )

    png, image_meta, image_outcome, ikey = render_cached(
        ctx, view, key, d, render, render_key=image_key
    )
    meta["scale"] = image_meta.get("scale")
    meta["render"] = render.canonical()
    meta["cache"]["image"] = image_outcome
    return HeatmapResult(d, png, meta, image_outcome, etag_of(key, ikey))


def estimate_cost(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice: Slice,
) -> float:
    """Predicted work of :func:`build_heatmap` on a cache miss, without reading any blob.

    Parameters
    ----------
    ctx, actor, stimulus_id, params, slice:
        As for :func:`build_heatmap`.

    Returns
    -------
    float
        :func:`gazemap.kde.estimate_cost` units (about a nanosecond each); compare with
        ``settings.jobs.async_cost_threshold`` to decide when to run it as a job.

    Raises
    ------
    NotFoundError, PermissionDeniedError, InvalidGridError
        As for :func:`build_heatmap`.

    Notes
    -----
    The point count is the rows' ``sample_count`` sum: exact for pooled samples and for
    stored fixations, an upper bound when fixations are detected from samples (fixation
    detection is linear in the samples as well). A rule bandwidth is costed as
    :data:`RULE_COST_BANDWIDTH_PX`; degrees are converted as the build would.
    """
    view = authorised_stimulus(ctx, actor, stimulus_id, slice=slice)
    grid = heatmap_grid(view, params, max_cells=ctx.settings.kde.max_cells)
    with ctx.session() as session:
        rows = load_rows(session, stimulus_id=view.id, slice=slice)
    n = sum(r.sample_count for r in rows)
    pair = _numeric_bandwidth(params, view, [r.screen for r in rows], {})
    if pair is None:
        pair = (RULE_COST_BANDWIDTH_PX, RULE_COST_BANDWIDTH_PX)
    return kde_estimate_cost(n, grid, pair, kernel=params.kernel, method=params.method)
