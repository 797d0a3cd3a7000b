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

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.cache import make_key
from gazemap.errors import TooCostlyError
from gazemap.kde import Grid
from gazemap.kde import estimate_cost as kde_estimate_cost
from gazemap.service import policy
from gazemap.service.actor import Actor
from gazemap.service.auditing import audit_refusals, audited
from gazemap.service.authorise import authorised_stimulus, heatmap_access
from gazemap.service.context import ServiceContext
from gazemap.service.density import (
    cached_density,
    cached_picture,
    etag_of,
    heatmap_grid,
    numeric_bandwidth,
    render_cached,
)
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.points import load_rows
from gazemap.service.stimulus_view import StimulusView
from gazemap.store.queries import count_participants
from gazemap.store.slices import Slice

__all__ = ["RULE_COST_BANDWIDTH_PX", "HeatmapResult", "build_heatmap", "estimate_cost"]

FloatArray = npt.NDArray[np.float64]

#: Bandwidth assumed by :func:`estimate_cost` for a rule (``scott``/``silverman``), which
#: cannot be resolved without reading the points; the default bandwidth of HeatmapParams.
RULE_COST_BANDWIDTH_PX = 40.0


class HeatmapResult:
    """A heat map: the density grid, its picture and how it was made.

    Attributes
    ----------
    density:
        ``(rows, cols)`` float64, exactly :func:`gazemap.kde.density` of the points used,
        in 1/px², row 0 at the top. When the picture came from the cache, the density is
        read from the cache (or computed) only if this attribute is used: a cached PNG
        never pays for decoding the grid.
    png:
        The rendered picture when render options were given, else ``None``.
    meta:
        ``stimulus_id``, ``data_version``, ``participants``, ``recordings``, ``points``,
        ``bandwidth`` (resolved ``[bx, by]`` px, ``None`` for a rule without points),
        ``bandwidth_deg`` (when asked in degrees), ``geometry`` (screen set-up and its
        source, for degrees), ``grid`` (``cols``, ``rows``, ``level``, ``width``,
        ``height``), ``method`` (``exact`` or ``fft``, what ran), ``params`` and
        ``slice`` (canonical), ``scale`` (the density at the top colour, when rendered),
        ``render`` (canonical, when rendered) and ``cache`` (outcome per value;
        ``"deferred"`` for a density not read because the picture was cached).
    cache:
        How the value asked for was answered (see :data:`gazemap.cache.Outcome`): the
        image's outcome when rendered, else the density's.
    etag:
        A strong validator for HTTP: a hash of the cache key(s), so it changes exactly
        when the answer may.
    """

    __slots__ = ("_density", "_load", "cache", "etag", "meta", "png")

    def __init__(
        self,
        density: FloatArray | Callable[[], FloatArray],
        png: bytes | None,
        meta: dict[str, Any],
        cache: str,
        etag: str,
    ) -> None:
        self._density: FloatArray | None = None
        self._load: Callable[[], FloatArray] | None = None
        if callable(density):
            self._load = density
        else:
            self._density = density
        self.png = png
        self.meta = meta
        self.cache = cache
        self.etag = etag

    @property
    def density(self) -> FloatArray:
        """The density grid (read on first use when the picture was a cache hit)."""
        if self._density is None:
            assert self._load is not None
            self._density = self._load()
            self._load = None
        return self._density

    def __repr__(self) -> str:
        return (
            f"HeatmapResult(cache={self.cache!r}, etag={self.etag!r}, png={self.png is not None})"
        )


@audited("heatmap.view", target="stimulus:{stimulus_id}", keep=("params", "slice", "render"))
def build_heatmap(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice: Slice,
    render: RenderOptions | None = None,
    max_cost: float | None = None,
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
    max_cost:
        When the density is not cached, refuse to compute it if :func:`estimate_cost`
        predicts more than this (:class:`~gazemap.errors.TooCostlyError`; the API then
        queues a job). A cached density is answered whatever it cost: a hit never pays
        for an estimate. ``None`` computes anything.

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
    TooCostlyError
        The density is not cached and would cost more than ``max_cost``.

    Notes
    -----
    A cache hit costs one database query (:func:`~gazemap.service.authorise.heatmap_access`:
    stimulus, study and role joined) plus the audit entry. The minimum group size is
    checked on the density's ``contributors`` (participants left after the time window);
    the SQL count of the slice's participants runs only on a miss, before computing.
    """
    view, minimum = heatmap_access(ctx, actor, stimulus_id, slice=slice)

    def before_compute(grid: Grid) -> None:
        if minimum is not None:
            with ctx.session(readonly=True) as session:
                count = count_participants(session, stimulus_id=view.id, slice=slice)
            policy.check_contributor_count(actor, view.study_id, minimum, {"contributors": count})
        if max_cost is not None:
            cost = _cost(ctx, view, params, slice, grid)
            if cost > max_cost:
                raise TooCostlyError(
                    f"this heat map would cost about {cost:.3g} units, more than "
                    f"max_cost={max_cost:.3g}; run it as a job",
                    cost=cost,
                )

    def image_key() -> str:
        assert render is not None
        return _image_key(view.id, view.data_version, params, slice, render)

    if render is not None:
        # The picture first: on a hit its entry carries the density's metadata, so the
        # grid (megabytes to decode and copy) is read only if the caller uses it.
        found = cached_picture(ctx, image_key())
        if found is not None:
            png, meta, image_outcome, key, ikey = found
            policy.check_contributor_count(actor, view.study_id, minimum or 0, meta)
            meta["cache"] = {"density": "deferred", "image": image_outcome}
            meta["render"] = render.canonical()

            def load() -> FloatArray:
                return cached_density(ctx, view, params, slice, on_miss=before_compute)[0]

            return HeatmapResult(load, png, meta, image_outcome, etag_of(key, ikey))

    d, meta, outcome, key = cached_density(ctx, view, params, slice, on_miss=before_compute)
    # k after the time window
    policy.check_contributor_count(actor, view.study_id, minimum or 0, meta)
    if render is None:
        meta["cache"] = {"density": outcome}
        meta["scale"] = None
        return HeatmapResult(d, None, meta, outcome, etag_of(key))
    png, image_meta, image_outcome, ikey = render_cached(
        ctx, view, key, d, render, render_key=image_key, density_meta=meta
    )
    meta["cache"] = {"density": outcome, "image": image_outcome}
    meta["scale"] = image_meta.get("scale")
    meta["render"] = render.canonical()
    return HeatmapResult(d, png, meta, image_outcome, etag_of(key, ikey))


@functools.lru_cache(maxsize=4096)
def _image_key(
    stimulus_id: int,
    data_version: int,
    params: HeatmapParams,
    slice: Slice,
    render: RenderOptions,
) -> str:
    # params, slice and render are immutable and hash by value, so a key is computed
    # once per distinct request (canonical JSON and SHA-256 were 5 % of a cached map)
    return make_key(
        "image",
        stimulus_id=stimulus_id,
        data_version=data_version,
        params=params.canonical(),
        slice=slice.canonical(),
        render=render.canonical(),
    )


# for callers that decide before building (build_heatmap(max_cost=...) costs only misses)
@audit_refusals("heatmap.view", target="stimulus:{stimulus_id}", keep=("params", "slice"))
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
    return _cost(ctx, view, params, slice, grid)


def _cost(
    ctx: ServiceContext, view: StimulusView, params: HeatmapParams, slice: Slice, grid: Grid
) -> float:
    with ctx.session(readonly=True) as session:
        rows = load_rows(session, stimulus_id=view.id, slice=slice)
    n = sum(r.sample_count for r in rows)
    pair = numeric_bandwidth(params, view, [r.screen for r in rows], {})
    if pair is None:
        pair = (RULE_COST_BANDWIDTH_PX, RULE_COST_BANDWIDTH_PX)
    return kde_estimate_cost(n, grid, pair, kernel=params.kernel, method=params.method)
