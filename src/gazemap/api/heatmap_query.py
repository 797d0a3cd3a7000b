"""Heat-map query parameters → :class:`HeatmapParams`, :class:`Slice` and :class:`RenderOptions`.

Everything is validated here, before any work: a bad value is a 422 problem whose
``errors`` name the query parameter (``bandwidth``, ``a.age_min``, …). The parameter
names are the fields of the three models, so the ``result_url`` of a job
(:func:`gazemap.service.jobs.heatmap_query`) is a valid query. Participant attribute
filters are ``attr.<name>=<value>`` (repeatable); a value that reads as a number or
``true``/``false`` is compared as one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from gazemap.api.validation import validated
from gazemap.service.params import MAX_LEVEL, HeatmapParams, RenderOptions
from gazemap.store.slices import Slice

__all__ = [
    "MAX_AXIS",
    "EstimateQuery",
    "HeatmapQuery",
    "Opacity",
    "Overlay",
    "Scale",
    "Threshold",
    "heatmap_query",
    "parse_slice",
    "query_problem",
    "render_options",
]

#: Largest grid side accepted by the parser; the cell budget (settings.kde.max_cells) is
#: checked by the service.
MAX_AXIS = 100_000
Format = Literal["png", "json", "npy"]
T = TypeVar("T")


def query_problem(field: str, message: str) -> RequestValidationError:
    """A 422 naming the query parameter ``field``."""
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error", "input": None}]
    )


def _built(build: Callable[[], T], prefix: str = "") -> T:
    """``build()``, with any validation problem reported against its query parameter."""
    return validated(build, lambda field: ("query", prefix + (field or "query")))


def _attribute_value(text: str) -> str | int | float | bool:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_slice(query: Mapping[str, Any], values: Mapping[str, Any], *, prefix: str = "") -> Slice:
    """A :class:`Slice` from parsed filter values and ``<prefix>attr.<name>`` parameters.

    Parameters
    ----------
    query:
        The request's multi-valued query parameters (for the attribute filters).
    values:
        ``gender``, ``age_min``, ``age_max``, ``device``, ``recorded_from``,
        ``recorded_to`` as parsed by FastAPI.
    prefix:
        ``""``, ``"a."`` or ``"b."``: names in error messages and attribute keys.
    """
    attributes: dict[str, tuple[str | int | float | bool, ...]] = {}
    getlist = getattr(query, "getlist", None)
    for key in query:
        if key.startswith(prefix + "attr."):
            raw = getlist(key) if getlist else [query[key]]
            attributes[key.removeprefix(prefix + "attr.")] = tuple(_attribute_value(v) for v in raw)
    return _built(lambda: Slice(**values, attributes=attributes), prefix)


_Gender = Annotated[
    list[str] | None,
    Query(description="Only participants of these genders (repeat for several)."),
]
_AgeMin = Annotated[
    int | None, Query(ge=0, le=150, description="Only participants at least this old.")
]
_AgeMax = Annotated[
    int | None, Query(ge=0, le=150, description="Only participants at most this old.")
]
_Device = Annotated[
    list[str] | None, Query(description="Only recordings from these devices (repeatable).")
]
_From = Annotated[
    datetime | None,
    Query(description="Only recordings started at or after this time (ISO 8601 with offset)."),
]
_To = Annotated[
    datetime | None,
    Query(description="Only recordings started before this time (ISO 8601 with offset)."),
]


@dataclass(frozen=True)
class HeatmapQuery:
    """A parsed heat-map request."""

    params: HeatmapParams
    slice: Slice
    render: RenderOptions
    format: Format
    run_async: bool


@dataclass
class EstimateQuery:
    """The shared estimate parameters (also used by compare)."""

    kernel: Annotated[
        str, Query(max_length=32, description="Kernel: gaussian, epanechnikov, biweight, …")
    ] = "gaussian"
    bandwidth: Annotated[
        str,
        Query(
            max_length=32,
            description="Kernel standard deviation (number > 0, in bandwidth_unit), or 'scott' or 'silverman'.",
        ),
    ] = "40"
    bandwidth_unit: Annotated[
        Literal["px", "deg"],
        Query(description="'px' or 'deg' (visual angle, from the study's screen geometry)."),
    ] = "px"
    level: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_LEVEL,
            description="Level of detail: ceil(size / 2**level) cells per axis (default 1).",
        ),
    ] = None
    cols: Annotated[
        int | None, Query(gt=0, le=MAX_AXIS, description="Grid columns (with rows).")
    ] = None
    rows: Annotated[int | None, Query(gt=0, le=MAX_AXIS, description="Grid rows (with cols).")] = (
        None
    )
    method: Annotated[
        Literal["exact", "fft", "auto"], Query(description="'exact', 'fft' or 'auto'.")
    ] = "auto"
    points: Annotated[
        Literal["samples", "fixations"], Query(description="'fixations' or raw 'samples'.")
    ] = "fixations"
    detector: Annotated[
        Literal["ivt", "idt"], Query(description="Fixation detector for sample recordings.")
    ] = "ivt"
    weight: Annotated[Literal["count", "duration"], Query(description="'duration' or 'count'.")] = (
        "duration"
    )
    normalize: Annotated[
        Literal["pooled", "participant"],
        Query(description="'pooled', or 'participant' (everyone counts equally)."),
    ] = "pooled"
    t_from: Annotated[
        float | None, Query(ge=0, description="Time window start, ms from recording start.")
    ] = None
    t_to: Annotated[
        float | None, Query(gt=0, description="Time window end, ms from recording start.")
    ] = None

    def build(self) -> HeatmapParams:
        """The :class:`HeatmapParams`, or a 422 naming the parameter."""
        return _built(
            lambda: HeatmapParams(
                kernel=self.kernel,
                bandwidth=self.bandwidth,
                bandwidth_unit=self.bandwidth_unit,
                level=self.level,
                cols=self.cols,
                rows=self.rows,
                method=self.method,
                points=self.points,
                detector=self.detector,
                weight=self.weight,
                normalize=self.normalize,
                t_from=self.t_from,
                t_to=self.t_to,
            )
        )


def render_options(
    colormap: str, opacity: float, threshold: float, scale: str, mode: str, overlay: bool
) -> RenderOptions:
    return _built(
        lambda: RenderOptions(
            colormap=colormap,
            opacity=opacity,
            threshold=threshold,
            scale=scale,
            mode=mode,
            overlay=overlay,
        )
    )


Opacity = Annotated[float, Query(gt=0, le=1, description="Opacity of the hottest colour.")]
Threshold = Annotated[
    float, Query(ge=0, lt=1, description="Fraction of the scale below which nothing is drawn.")
]
Scale = Annotated[
    str,
    Query(
        max_length=32,
        description="Density at the top colour: 'max', a percentile 'p99', or a number (shared scale).",
    ),
]
_Mode = Annotated[Literal["heat", "fog"], Query(description="'heat' or 'fog' (darken the unseen).")]
Overlay = Annotated[
    bool, Query(description="Draw over the stimulus image (true) or on transparency.")
]


# async: pure parsing, so FastAPI runs it on the event loop instead of a thread-pool hop
async def heatmap_query(
    request: Request,
    estimate: Annotated[EstimateQuery, Depends()],
    gender: _Gender = None,
    age_min: _AgeMin = None,
    age_max: _AgeMax = None,
    device: _Device = None,
    recorded_from: _From = None,
    recorded_to: _To = None,
    format: Annotated[
        Format, Query(description="'png' (picture), 'json' (density grid) or 'npy'.")
    ] = "png",
    colormap: Annotated[str, Query(max_length=32, description="Colormap name.")] = "inferno",
    opacity: Opacity = 0.6,
    threshold: Threshold = 0.05,
    scale: Scale = "max",
    mode: _Mode = "heat",
    overlay: Overlay = True,
    run_async: Annotated[
        bool,
        Query(
            alias="async",
            description="Run as a background job: 202 with the job to poll at its Location.",
        ),
    ] = False,
) -> HeatmapQuery:
    """Parse and validate every heat-map query parameter (a FastAPI dependency)."""
    params = estimate.build()
    slice = parse_slice(
        request.query_params,
        {
            "gender": gender,
            "age_min": age_min,
            "age_max": age_max,
            "device": device,
            "recorded_from": recorded_from,
            "recorded_to": recorded_to,
        },
    )
    render = render_options(colormap, opacity, threshold, scale, mode, overlay)
    return HeatmapQuery(params, slice, render, format, run_async)
