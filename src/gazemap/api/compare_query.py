"""Comparison query parameters: shared estimate parameters, slices ``a.*`` and ``b.*``.

Side B may sit on another version of the page (``b.stimulus_id``). Validation and error
reporting are those of :mod:`gazemap.api.heatmap_query`: a bad value is a 422 naming the
prefixed parameter (``b.age_min``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query, Request

from gazemap.api.heatmap_query import (
    EstimateQuery,
    Opacity,
    Overlay,
    Scale,
    Threshold,
    parse_slice,
    render_options,
)
from gazemap.api.paths import MAX_ID
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.store.slices import Slice

__all__ = ["CompareQuery", "compare_query"]


@dataclass(frozen=True)
class CompareQuery:
    """A parsed comparison request."""

    params: HeatmapParams
    slice_a: Slice
    slice_b: Slice
    stimulus_b_id: int | None
    render: RenderOptions
    format: Literal["png", "json"]
    include_grid: bool


def compare_query(
    request: Request,
    estimate: Annotated[EstimateQuery, Query()],
    a_gender: Annotated[
        list[str] | None, Query(alias="a.gender", description="Side A: genders.")
    ] = None,
    a_age_min: Annotated[
        int | None, Query(alias="a.age_min", ge=0, le=150, description="Side A: youngest age.")
    ] = None,
    a_age_max: Annotated[
        int | None, Query(alias="a.age_max", ge=0, le=150, description="Side A: oldest age.")
    ] = None,
    a_device: Annotated[
        list[str] | None, Query(alias="a.device", description="Side A: devices.")
    ] = None,
    a_recorded_from: Annotated[
        datetime | None, Query(alias="a.recorded_from", description="Side A: earliest start.")
    ] = None,
    a_recorded_to: Annotated[
        datetime | None, Query(alias="a.recorded_to", description="Side A: latest start.")
    ] = None,
    b_gender: Annotated[
        list[str] | None, Query(alias="b.gender", description="Side B: genders.")
    ] = None,
    b_age_min: Annotated[
        int | None, Query(alias="b.age_min", ge=0, le=150, description="Side B: youngest age.")
    ] = None,
    b_age_max: Annotated[
        int | None, Query(alias="b.age_max", ge=0, le=150, description="Side B: oldest age.")
    ] = None,
    b_device: Annotated[
        list[str] | None, Query(alias="b.device", description="Side B: devices.")
    ] = None,
    b_recorded_from: Annotated[
        datetime | None, Query(alias="b.recorded_from", description="Side B: earliest start.")
    ] = None,
    b_recorded_to: Annotated[
        datetime | None, Query(alias="b.recorded_to", description="Side B: latest start.")
    ] = None,
    b_stimulus_id: Annotated[
        int | None,
        Query(
            alias="b.stimulus_id",
            ge=1,
            le=MAX_ID,
            description="Side B on another version of the page (same study and size).",
        ),
    ] = None,
    format: Annotated[
        Literal["png", "json"], Query(description="'png' (difference map) or 'json' (scores).")
    ] = "png",
    include_grid: Annotated[
        bool, Query(description="With format=json, include the difference grid.")
    ] = False,
    colormap: Annotated[
        str, Query(max_length=32, description="Diverging colormap: RdBu_r or coolwarm.")
    ] = "RdBu_r",
    opacity: Opacity = 0.6,
    threshold: Threshold = 0.05,
    scale: Scale = "max",
    overlay: Overlay = True,
) -> CompareQuery:
    """Parse and validate the comparison's query parameters (a FastAPI dependency)."""
    params = estimate.build()
    query = request.query_params
    slice_a = parse_slice(
        query,
        {
            "gender": a_gender,
            "age_min": a_age_min,
            "age_max": a_age_max,
            "device": a_device,
            "recorded_from": a_recorded_from,
            "recorded_to": a_recorded_to,
        },
        prefix="a.",
    )
    slice_b = parse_slice(
        query,
        {
            "gender": b_gender,
            "age_min": b_age_min,
            "age_max": b_age_max,
            "device": b_device,
            "recorded_from": b_recorded_from,
            "recorded_to": b_recorded_to,
        },
        prefix="b.",
    )
    render = render_options(colormap, opacity, threshold, scale, "heat", overlay)
    return CompareQuery(params, slice_a, slice_b, b_stimulus_id, render, format, include_grid)
