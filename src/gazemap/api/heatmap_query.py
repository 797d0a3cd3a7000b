"""Heat-map query parameters → :class:`HeatmapParams`, :class:`Slice` and :class:`RenderOptions`.

Everything is validated here, before any work: a bad value is a 422 problem whose
``errors`` name the query parameter (``bandwidth``, ``a.age_min``, …). The parameter
names are the fields of the three models, so the ``result_url`` of a job
(:func:`gazemap.service.jobs.heatmap_query`) is a valid query. Participant attribute
filters are ``attr.<name>=<value>`` (repeatable); a value that reads as a number or
``true``/``false`` is compared as one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from starlette.datastructures import QueryParams

from gazemap.api.validation import validated
from gazemap.service.params import MAX_LEVEL, HeatmapParams, RenderOptions
from gazemap.store.slices import Slice

__all__ = [
    "HEATMAP_QUERY_OPENAPI",
    "MAX_AXIS",
    "EstimateQuery",
    "HeatmapOptions",
    "HeatmapQuery",
    "Opacity",
    "Overlay",
    "Scale",
    "Threshold",
    "heatmap_query",
    "parse_heatmap_query",
    "parse_slice",
    "query_problem",
    "render_options",
]

#: Largest grid side accepted by the parser; the cell budget (settings.kde.max_cells) is
#: checked by the service.
MAX_AXIS = 100_000
Format = Literal["png", "json", "npy"]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


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


@dataclass(frozen=True)
class HeatmapQuery:
    """A parsed heat-map request."""

    params: HeatmapParams
    slice: Slice
    render: RenderOptions
    format: Format
    run_async: bool


class EstimateQuery(BaseModel):
    """The shared estimate parameters (also used by compare).

    A query-parameter model (``Annotated[EstimateQuery, Query()]``): FastAPI validates
    it in one pydantic call instead of one parameter at a time, a tenth of a cached heat
    map's Python time. Each field is still documented as its own query parameter.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    kernel: str = Field(
        "gaussian", max_length=32, description="Kernel: gaussian, epanechnikov, biweight, …"
    )
    bandwidth: str = Field(
        "40",
        max_length=32,
        description="Kernel standard deviation (number > 0, in bandwidth_unit), or 'scott' or 'silverman'.",
    )
    bandwidth_unit: Literal["px", "deg"] = Field(
        "px", description="'px' or 'deg' (visual angle, from the study's screen geometry)."
    )
    level: int | None = Field(
        None,
        ge=0,
        le=MAX_LEVEL,
        description="Level of detail: ceil(size / 2**level) cells per axis (default 1).",
    )
    cols: int | None = Field(None, gt=0, le=MAX_AXIS, description="Grid columns (with rows).")
    rows: int | None = Field(None, gt=0, le=MAX_AXIS, description="Grid rows (with cols).")
    method: Literal["exact", "fft", "auto"] = Field("auto", description="'exact', 'fft' or 'auto'.")
    points: Literal["samples", "fixations"] = Field(
        "fixations", description="'fixations' or raw 'samples'."
    )
    detector: Literal["ivt", "idt"] = Field(
        "ivt", description="Fixation detector for sample recordings."
    )
    weight: Literal["count", "duration"] = Field("duration", description="'duration' or 'count'.")
    normalize: Literal["pooled", "participant"] = Field(
        "pooled", description="'pooled', or 'participant' (everyone counts equally)."
    )
    t_from: float | None = Field(
        None, ge=0, description="Time window start, ms from recording start."
    )
    t_to: float | None = Field(None, gt=0, description="Time window end, ms from recording start.")

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
Overlay = Annotated[
    bool, Query(description="Draw over the stimulus image (true) or on transparency.")
]


class HeatmapOptions(BaseModel):
    """The heat map's slice filters, picture options and answer format (query parameters)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    gender: list[str] | None = Field(
        None, description="Only participants of these genders (repeat for several)."
    )
    age_min: int | None = Field(
        None, ge=0, le=150, description="Only participants at least this old."
    )
    age_max: int | None = Field(
        None, ge=0, le=150, description="Only participants at most this old."
    )
    device: list[str] | None = Field(
        None, description="Only recordings from these devices (repeatable)."
    )
    recorded_from: datetime | None = Field(
        None, description="Only recordings started at or after this time (ISO 8601 with offset)."
    )
    recorded_to: datetime | None = Field(
        None, description="Only recordings started before this time (ISO 8601 with offset)."
    )
    format: Format = Field("png", description="'png' (picture), 'json' (density grid) or 'npy'.")
    colormap: str = Field("inferno", max_length=32, description="Colormap name.")
    opacity: float = Field(0.6, gt=0, le=1, description="Opacity of the hottest colour.")
    threshold: float = Field(
        0.05, ge=0, lt=1, description="Fraction of the scale below which nothing is drawn."
    )
    scale: str = Field(
        "max",
        max_length=32,
        description="Density at the top colour: 'max', a percentile 'p99', or a number (shared scale).",
    )
    mode: Literal["heat", "fog"] = Field("heat", description="'heat' or 'fog' (darken the unseen).")
    overlay: bool = Field(
        True, description="Draw over the stimulus image (true) or on transparency."
    )
    run_async: bool = Field(
        False,
        alias="async",
        description="Run as a background job: 202 with the job to poll at its Location.",
    )


def _field_names(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """Each field's query name (its alias) and whether it repeats (a list)."""
    return tuple(
        (field.alias or name, get_origin(field.annotation) is list or _optional_list(field))
        for name, field in model.model_fields.items()
    )


def _optional_list(field: FieldInfo) -> bool:
    return any(get_origin(arg) is list for arg in get_args(field.annotation))


_ESTIMATE_FIELDS = _field_names(EstimateQuery)
_OPTION_FIELDS = _field_names(HeatmapOptions)


def _model_from_query(model: type[M], names: tuple[tuple[str, bool], ...], query: QueryParams) -> M:
    """``model`` validated in one call from the query parameters it names (422 on error)."""
    values = {
        name: query.getlist(name) if repeats else query[name]
        for name, repeats in names
        if name in query
    }
    return validated(lambda: model.model_validate(values), lambda f: ("query", f or "query"))


@functools.lru_cache(maxsize=1024)
def parse_heatmap_query(raw: str) -> HeatmapQuery:
    """The :class:`HeatmapQuery` of a raw query string, remembered for the next request.

    A cached map is asked for with the same query string again and again; parsing it
    once saves most of what FastAPI would spend validating ~30 parameters one by one
    (a tenth of a cached request's Python time). The result is immutable, and a string
    that fails to parse is not remembered (its 422 is raised each time).

    Raises
    ------
    RequestValidationError
        A 422 naming the query parameter.
    """
    query = QueryParams(raw)
    problems: list[Any] = []
    try:
        estimate = _model_from_query(EstimateQuery, _ESTIMATE_FIELDS, query)
    except RequestValidationError as exc:
        problems.extend(exc.errors())
    try:
        options = _model_from_query(HeatmapOptions, _OPTION_FIELDS, query)
    except RequestValidationError as exc:
        problems.extend(exc.errors())
    if problems:  # every bad parameter at once, as FastAPI reports them
        raise RequestValidationError(problems)
    params = estimate.build()
    slice = parse_slice(
        query,
        {
            "gender": options.gender,
            "age_min": options.age_min,
            "age_max": options.age_max,
            "device": options.device,
            "recorded_from": options.recorded_from,
            "recorded_to": options.recorded_to,
        },
    )
    render = render_options(
        options.colormap,
        options.opacity,
        options.threshold,
        options.scale,
        options.mode,
        options.overlay,
    )
    return HeatmapQuery(params, slice, render, options.format, options.run_async)


def _openapi_parameters(*models: type[BaseModel]) -> list[dict[str, Any]]:
    """The query parameters of ``models`` as OpenAPI parameter objects."""
    parameters = []
    for model in models:
        schema = model.model_json_schema(by_alias=True)
        for name, prop in schema["properties"].items():
            description = prop.pop("description", "")
            prop.pop("title", None)
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "description": description,
                    "schema": prop,
                }
            )
    return parameters


#: The heat-map route's query parameters for its OpenAPI operation (``openapi_extra``):
#: :func:`heatmap_query` reads them itself, so FastAPI does not list them on its own.
HEATMAP_QUERY_OPENAPI: dict[str, Any] = {
    "parameters": _openapi_parameters(EstimateQuery, HeatmapOptions)
}


# async: pure parsing, so FastAPI runs it on the event loop instead of a thread-pool hop
async def heatmap_query(request: Request) -> HeatmapQuery:
    """Parse and validate every heat-map query parameter (a FastAPI dependency).

    The parameters are the fields of :class:`EstimateQuery` and :class:`HeatmapOptions`
    plus ``attr.<name>`` filters; see :func:`parse_heatmap_query`.
    """
    return parse_heatmap_query(request.scope.get("query_string", b"").decode("latin-1"))
