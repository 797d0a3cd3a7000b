"""Two heat maps side by side: a difference map and similarity scores.

:func:`compare` builds the density of slice A and of slice B (of one stimulus, or of two
layout versions of one page of the same size) through the heat-map cache, subtracts
them (A − B, both in 1/px², each integrating to about 1, so the difference shows where
the share of attention moved), and scores their agreement with the MIT saliency
benchmark's CC, KL and SIM (:mod:`gazemap.service.similarity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from gazemap.cache import make_key
from gazemap.errors import InvalidInputError
from gazemap.render import DIVERGING
from gazemap.service import policy
from gazemap.service.actor import Actor
from gazemap.service.auditing import audited
from gazemap.service.authorise import authorised_stimulus
from gazemap.service.context import ServiceContext
from gazemap.service.density import cached_density, etag_of, render_cached
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.similarity import correlation, kl_divergence, similarity
from gazemap.store.slices import Slice

__all__ = ["CompareResult", "CompareScores", "compare", "scores"]

FloatArray = npt.NDArray[np.float64]


class CompareScores(BaseModel):
    """How alike the two maps are (MIT saliency benchmark definitions)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    cc: float | None = Field(
        description="Pearson correlation of the two densities, in [-1, 1]; null when either is constant."
    )
    kl: float | None = Field(
        description="KL(A || B) in nats, with A the reference: how badly B explains where A looked; 0 when equal; null when either map is empty."
    )
    kl_reverse: float | None = Field(
        description="KL(B || A) in nats: the same with the roles swapped (KL is not symmetric)."
    )
    sim: float = Field(
        description="Histogram intersection of the two maps made distributions, in [0, 1]; 1 when equal."
    )


def scores(a: npt.ArrayLike, b: npt.ArrayLike) -> CompareScores:
    """CC, KL both ways and SIM of two maps of one shape (see :mod:`gazemap.service.similarity`)."""
    return CompareScores(
        cc=correlation(a, b),
        kl=kl_divergence(a, b),
        kl_reverse=kl_divergence(b, a),
        sim=similarity(a, b),
    )


@dataclass(frozen=True)
class CompareResult:
    """A comparison of two heat maps.

    Attributes
    ----------
    difference:
        ``density_a − density_b``, ``(rows, cols)`` float64 in 1/px².
    png:
        The difference drawn on one symmetric scale (±``scale``, zero in the colormap's
        middle) over stimulus A, when render options were given.
    scores:
        Similarity of the two densities.
    meta:
        ``a`` and ``b`` (each side's heat-map metadata), ``scale`` (the absolute
        difference at the ends of the colormap, when rendered), ``render``, ``cache``.
    etag:
        Hash of every cache key involved.
    """

    difference: FloatArray
    png: bytes | None
    scores: CompareScores
    meta: dict[str, Any]
    etag: str


@audited(
    "heatmap.compare",
    target="stimulus:{stimulus_id}",
    keep=("params", "slice_a", "slice_b", "stimulus_b_id", "render"),
)
def compare(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice_a: Slice,
    slice_b: Slice,
    stimulus_b_id: int | None = None,
    render: RenderOptions | None = None,
) -> CompareResult:
    """Difference map (A − B) and similarity scores of two slices or two layout versions.

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        The caller; must be allowed to view both stimuli and both slices.
    stimulus_id:
        Stimulus of side A (and of B, unless ``stimulus_b_id`` is given).
    params:
        Heat-map parameters, the same for both sides so the maps share one grid.
    slice_a, slice_b:
        Participants and recordings of each side.
    stimulus_b_id:
        Another version of the page for side B: same study, same width and height.
    render:
        How to draw the difference; its colormap must be diverging (``RdBu_r``,
        ``coolwarm``), since the middle colour stands for zero. ``None``: no PNG.

    Returns
    -------
    CompareResult

    Raises
    ------
    NotFoundError
        Either stimulus missing or not visible to the caller.
    InvalidInputError
        ``stimulus_b_id`` is in another study or has another size, or the colormap is
        not diverging.
    InvalidGridError
        As for :func:`~gazemap.service.heatmaps.build_heatmap`.
    """
    if render is not None and render.colormap not in DIVERGING:
        raise InvalidInputError(
            f"a difference map needs a diverging colormap ({', '.join(sorted(DIVERGING))}), "
            f"got {render.colormap!r}",
            field="colormap",
        )
    view_a = authorised_stimulus(ctx, actor, stimulus_id, slice=slice_a)
    # side B passes the policy on its own (its filters, its group size), same stimulus or not
    view_b = authorised_stimulus(ctx, actor, stimulus_b_id or stimulus_id, slice=slice_b)
    if view_b.id != view_a.id:
        if view_b.study_id != view_a.study_id:
            raise InvalidInputError(
                f"stimulus_b_id {stimulus_b_id} is in another study than stimulus {stimulus_id}",
                field="stimulus_b_id",
            )
        if (view_b.width, view_b.height) != (view_a.width, view_a.height):
            raise InvalidInputError(
                f"stimulus_b_id {stimulus_b_id} is {view_b.width}×{view_b.height} px, "
                f"stimulus {stimulus_id} is {view_a.width}×{view_a.height} px; only versions of "
                "one size can be compared",
                field="stimulus_b_id",
            )
    da, meta_a, outcome_a, key_a = cached_density(ctx, view_a, params, slice_a)
    db, meta_b, outcome_b, key_b = cached_density(ctx, view_b, params, slice_b)
    policy.enforce_contributors(ctx, actor, view_a.study_id, meta_a)  # k after the window,
    policy.enforce_contributors(ctx, actor, view_b.study_id, meta_b)  # on both sides
    difference = da - db
    result_scores = scores(da, db)
    meta: dict[str, Any] = {
        "a": meta_a,
        "b": meta_b,
        "cache": {"a": outcome_a, "b": outcome_b},
        "scale": None,
    }
    if render is None:
        return CompareResult(difference, None, result_scores, meta, etag_of(key_a, key_b))

    def image_key() -> str:
        return make_key(
            "compare",
            stimulus_id=view_a.id,
            data_version=view_a.data_version,
            params={
                "params": params.canonical(),
                "b": {"stimulus_id": view_b.id, "data_version": view_b.data_version},
            },
            slice={"a": slice_a.canonical(), "b": slice_b.canonical()},
            render=render.canonical(),
        )

    png, image_meta, outcome, ikey = render_cached(
        ctx, view_a, key_a, difference, render, signed=True, render_key=image_key
    )
    meta["scale"] = image_meta.get("scale")
    meta["render"] = render.canonical()
    meta["cache"]["image"] = outcome
    return CompareResult(difference, png, result_scores, meta, etag_of(key_a, key_b, ikey))
