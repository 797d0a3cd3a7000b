"""Job parameters and result addresses: canonical parameters back to models, and the
heat-map route's query string for a job's ``result_url``.

Job rows hold :meth:`HeatmapParams.canonical`, :meth:`Slice.canonical` and
:meth:`RenderOptions.canonical` as JSON; :func:`params_from_canonical` reads the first
back (the other two read back directly). :func:`heatmap_query` spells the same values
as the API's query parameters (``gazemap/api/heatmap_query.py`` parses them).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.store.slices import Slice

__all__ = ["API_PREFIX", "heatmap_query", "heatmap_result_url", "params_from_canonical"]

#: Prefix of the REST API's routes, for ``result_url``.
API_PREFIX = "/api/v1"


def params_from_canonical(data: dict[str, Any]) -> HeatmapParams:
    """Read back :meth:`HeatmapParams.canonical` (from job params).

    Parameters
    ----------
    data:
        A canonical dict.

    Returns
    -------
    HeatmapParams
        Whose ``canonical()`` equals ``data``.

    Examples
    --------
    >>> p = HeatmapParams(bandwidth=25, cols=40, rows=30, t_to=5000)
    >>> params_from_canonical(p.canonical()).canonical() == p.canonical()
    True
    """
    fields = dict(data)
    grid = fields.pop("grid", {"level": 1})
    window = fields.pop("window", [None, None])
    if isinstance(grid, dict):
        fields["level"] = grid.get("level")
    else:
        fields["cols"], fields["rows"] = grid
    fields["t_from"], fields["t_to"] = window
    return HeatmapParams(**fields)


def heatmap_query(params: HeatmapParams, slice: Slice, render: RenderOptions | None = None) -> str:
    """The query string of the heat-map route for these parameters, in one fixed order.

    Parameter names are the fields of :class:`HeatmapParams`, :class:`Slice` and
    :class:`RenderOptions`; list filters repeat their name; attribute filters are
    ``attr.<name>=<value>``; ``format`` is ``png`` with render options, else ``json``.

    Examples
    --------
    >>> heatmap_query(HeatmapParams(bandwidth=30), Slice(gender=["f"]))
    'kernel=gaussian&bandwidth=30&bandwidth_unit=px&level=1&method=auto&points=fixations&detector=ivt&weight=duration&normalize=pooled&gender=f&format=json'
    """
    canon = params.canonical()
    pairs: list[tuple[str, Any]] = [
        ("kernel", canon["kernel"]),
        ("bandwidth", canon["bandwidth"]),
        ("bandwidth_unit", canon["bandwidth_unit"]),
    ]
    if isinstance(canon["grid"], dict):
        pairs.append(("level", canon["grid"]["level"]))
    else:
        pairs += [("cols", canon["grid"][0]), ("rows", canon["grid"][1])]
    pairs += [("method", canon["method"]), ("points", canon["points"])]
    if "detector" in canon:
        pairs.append(("detector", canon["detector"]))
    pairs += [("weight", canon["weight"]), ("normalize", canon["normalize"])]
    for name, value in zip(("t_from", "t_to"), canon["window"], strict=True):
        if value is not None:
            pairs.append((name, value))
    for name, value in slice.canonical().items():
        if name == "attributes":
            pairs += [(f"attr.{k}", v) for k, vs in value.items() for v in vs]
        elif isinstance(value, list):
            pairs += [(name, v) for v in value]
        else:
            pairs.append((name, value))
    if render is not None:
        pairs += [(k, v) for k, v in render.canonical().items()]
    pairs.append(("format", "png" if render is not None else "json"))
    return urlencode([(k, _text(v)) for k, v in pairs])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def heatmap_result_url(job_params: dict[str, Any]) -> str:
    """The heat-map URL answering a ``heatmap`` job's result from the cache.

    Parameters
    ----------
    job_params:
        The job row's params (``stimulus_id``, canonical ``params``, ``slice``, ``render``).

    Returns
    -------
    str
        ``/api/v1/stimuli/{id}/heatmap?<query>``.
    """
    query = heatmap_query(
        params_from_canonical(job_params["params"]),
        Slice.from_canonical(job_params.get("slice") or {}),
        RenderOptions(**job_params["render"]) if job_params.get("render") else None,
    )
    return f"{API_PREFIX}/stimuli/{job_params['stimulus_id']}/heatmap?{query}"
