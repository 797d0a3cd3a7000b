"""What a response says about the work behind it: heat-map and upload metrics.

The REST API reports how a heat map was answered in documented response headers
(``X-Gazemap-Cache``, ``X-Gazemap-Points``, ``X-Gazemap-Params``; ``docs/api.md``) and
returns an upload's cleaning report in its ``201`` body. The middleware hands each
response to :func:`observe_response`, which turns those into metrics and log fields.
Reading the API's own contract keeps the service layer free of any monitoring code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gazemap.obs.metrics import GazemapMetrics

__all__ = ["COMPUTED", "MAX_REPORT_BYTES", "heatmap_fields", "observe_response", "wants_body"]

#: Cache outcomes meaning "this request computed the value" (``gazemap.cache.Outcome``).
COMPUTED = frozenset({"miss", "error"})

#: Largest upload answer read for its cleaning report; larger ones are not parsed.
MAX_REPORT_BYTES = 4 * 2**20

_METHODS = frozenset({"auto", "exact", "fft"})


def wants_body(method: str, route: str, status: int, headers: Mapping[str, str]) -> bool:
    """True when the body of this response should be kept for :func:`observe_response`.

    Only a successful upload of recordings (``POST …/recordings`` → 201, JSON) is read.

    Examples
    --------
    >>> wants_body("POST", "/api/v1/stimuli/{stimulus_id}/recordings", 201,
    ...            {"content-type": "application/json"})
    True
    >>> wants_body("GET", "/api/v1/stimuli/{stimulus_id}/recordings", 200,
    ...            {"content-type": "application/json"})
    False
    """
    return (
        method == "POST"
        and status == 201
        and route.endswith("/recordings")
        and headers.get("content-type", "").startswith("application/json")
    )


def _level_label(params: Mapping[str, Any]) -> str:
    grid = params.get("grid")
    if isinstance(grid, Mapping):
        level = grid.get("level")
        if isinstance(level, int) and 0 <= level <= 16:
            return str(level)
    return "custom"


def heatmap_fields(headers: Mapping[str, str]) -> dict[str, Any]:
    """Log fields from a heat-map response's ``X-Gazemap-*`` headers (empty for others).

    Parameters
    ----------
    headers:
        Response headers, names lower-case.

    Returns
    -------
    dict
        ``cache`` (outcome), ``points``, ``kde_method`` and ``kde_level`` (bounded
        values, used as labels; ``other``/``custom`` for anything unexpected).

    Examples
    --------
    >>> heatmap_fields({"x-gazemap-cache": "miss", "x-gazemap-points": "1200",
    ...                 "x-gazemap-params": '{"method":"fft","grid":{"level":2}}'})
    {'cache': 'miss', 'points': 1200, 'kde_method': 'fft', 'kde_level': '2'}
    """
    outcome = headers.get("x-gazemap-cache")
    if outcome is None:
        return {}
    fields: dict[str, Any] = {"cache": outcome[:32]}
    points = headers.get("x-gazemap-points", "")
    if points.isdigit():
        fields["points"] = int(points)
    try:
        params = json.loads(headers.get("x-gazemap-params", "{}"))
    except ValueError:
        params = {}
    if not isinstance(params, Mapping):
        params = {}
    method = params.get("method")
    fields["kde_method"] = method if method in _METHODS else "other"
    fields["kde_level"] = _level_label(params)
    return fields


def _ingest(metrics: GazemapMetrics | None, body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    report = answer.get("report") if isinstance(answer, Mapping) else None
    if not isinstance(report, Mapping):
        return {}
    recordings = answer.get("recordings")
    n_recordings = len(recordings) if isinstance(recordings, list) else 0
    kept = report.get("rows_kept")
    dropped = report.get("dropped")
    fields: dict[str, Any] = {"recordings": n_recordings}
    if metrics is not None:
        metrics.ingest_recordings.inc(n_recordings)
    if isinstance(kept, int) and kept >= 0:
        fields["rows_kept"] = kept
        if metrics is not None:
            metrics.ingest_rows.inc(kept)
    if isinstance(dropped, Mapping):
        total = 0
        for reason, count in dropped.items():
            if isinstance(count, int) and count > 0:
                total += count
                if metrics is not None:
                    label = metrics.drop_reason(str(reason))
                    metrics.ingest_dropped.labels(reason=label).inc(count)
        fields["rows_dropped"] = total
    return fields


def observe_response(
    metrics: GazemapMetrics | None,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
    seconds: float,
) -> dict[str, Any]:
    """Record heat-map and upload metrics of one response; return fields for its log line.

    Parameters
    ----------
    metrics:
        The app's metrics; ``None`` only derives the log fields.
    headers:
        Response headers, names lower-case.
    body:
        The body when :func:`wants_body` asked for it, else ``None``.
    seconds:
        Time the request took.

    Returns
    -------
    dict
        Fields for the access-log line (``cache``, ``points``, ``rows_kept``, ...).

    Notes
    -----
    A heat map whose cache outcome is in :data:`COMPUTED` observes
    ``gazemap_heatmap_generation_seconds{method,level}`` with the request's time and
    ``gazemap_kde_points`` with its point count. For an image the outcome is the
    image's: a recolouring of a cached density counts as a (fast) generation too.
    """
    fields = heatmap_fields(headers)
    if fields and metrics is not None and fields["cache"] in COMPUTED:
        labels = {"method": fields["kde_method"], "level": fields["kde_level"]}
        metrics.heatmap_seconds.labels(**labels).observe(seconds)
        if "points" in fields:
            metrics.kde_points.observe(fields["points"])
    if body is not None:
        fields.update(_ingest(metrics, body))
    return fields
