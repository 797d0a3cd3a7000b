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
from pydantic import ValidationError

from gazemap.errors import InvalidInputError
from gazemap.service.params import MAX_LEVEL, HeatmapParams, RenderOptions
from gazemap.store.slices import Slice

__all__ = [
    "MAX_AXIS",
    "CompareQuery",
    "HeatmapQuery",
    "body_params",
    "body_slice",
    "compare_query",
    "heatmap_query",
    "parse_slice",
    "query_problem",
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
    try:
        return build()
    except ValidationError as exc:
        errors = []
        for item in exc.errors():
            cause = (item.get("ctx") or {}).get("error")
            field = getattr(cause, "field", None) or ".".join(str(p) for p in item["loc"])
            message = str(cause) if cause is not None else item["msg"]
            errors.append(
                {
                    "loc": ("query", prefix + (field or "query")),
                    "msg": message,
                    "type": item["type"],
                    "input": None,
                }
            )
        raise RequestValidationError(errors) from None
    except InvalidInputError as exc:
        raise query_problem(prefix + (exc.field or "query"), str(exc)) from None


def _body_built(build: Callable[[], T], where: str) -> T:
    try:
        return build()
    except ValidationError as exc:
        errors = []
        for item in exc.errors():
            cause = (item.get("ctx") or {}).get("error")
            field = getattr(cause, "field", None) or ".".join(str(p) for p in item["loc"])
            message = str(cause) if cause is not None else item["msg"]
            errors.append(
                {"loc": ("body", where, field), "msg": message, "type": item["type"], "input": None}
            )
        raise RequestValidationError(errors) from None
    except InvalidInputError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", where, exc.field or where),
                    "msg": str(exc),
                    "type": "value_error",
                    "input": None,
                }
            ]
        ) from None


def body_slice(canonical: Mapping[str, Any]) -> Slice:
    """A :class:`Slice` from a JSON body's ``slice`` object; 422 naming ``body.slice.<field>``."""
    return _body_built(lambda: Slice.from_canonical(canonical), "slice")


def body_params(**fields: Any) -> HeatmapParams:
    """:class:`HeatmapParams` from JSON body fields; 422 naming the field."""
    return _body_built(lambda: HeatmapParams(**fields), "params")


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
class _ParamsQuery:
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


def _render(
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


_Opacity = Annotated[float, Query(gt=0, le=1, description="Opacity of the hottest colour.")]
_Threshold = Annotated[
    float, Query(ge=0, lt=1, description="Fraction of the scale below which nothing is drawn.")
]
_Scale = Annotated[
    str,
    Query(
        max_length=32,
        description="Density at the top colour: 'max', a percentile 'p99', or a number (shared scale).",
    ),
]
_Mode = Annotated[Literal["heat", "fog"], Query(description="'heat' or 'fog' (darken the unseen).")]
_Overlay = Annotated[
    bool, Query(description="Draw over the stimulus image (true) or on transparency.")
]


def heatmap_query(
    request: Request,
    estimate: Annotated[_ParamsQuery, Depends()],
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
    opacity: _Opacity = 0.6,
    threshold: _Threshold = 0.05,
    scale: _Scale = "max",
    mode: _Mode = "heat",
    overlay: _Overlay = True,
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
    render = _render(colormap, opacity, threshold, scale, mode, overlay)
    return HeatmapQuery(params, slice, render, format, run_async)


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
    estimate: Annotated[_ParamsQuery, Depends()],
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
            le=2**31 - 1,
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
    opacity: _Opacity = 0.6,
    threshold: _Threshold = 0.05,
    scale: _Scale = "max",
    overlay: _Overlay = True,
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
    render = _render(colormap, opacity, threshold, scale, "heat", overlay)
    return CompareQuery(params, slice_a, slice_b, b_stimulus_id, render, format, include_grid)
