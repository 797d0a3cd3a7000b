"""Observability: Prometheus metrics, structured logging, request ids.

- :func:`build_metrics` → :class:`GazemapMetrics`: the app's registry (request,
  heat-map, ingest metrics); :meth:`GazemapMetrics.watch` adds the cache, database
  pool and job collectors.
- :func:`instrument_app`: the middleware and ``GET /metrics`` on an app.
- :class:`ObservabilityMiddleware`: request id, access log line, request metrics.
- :func:`configure_logging`: structlog + stdlib logging, JSON or console.
- :func:`annotate`, :func:`current_request_id`: add to the access line; read the id.

See ``docs/observability.md`` for every metric and log field.
"""

from gazemap.obs.asgi import METRICS_PATH, instrument_app, metrics_endpoint
from gazemap.obs.context import (
    REQUEST_ID_HEADER,
    RequestLog,
    accept_request_id,
    annotate,
    current_request,
    current_request_id,
    new_request_id,
)
from gazemap.obs.logs import configure_logging, get_logger, redact
from gazemap.obs.metrics import GazemapMetrics, build_metrics, multiprocess_dir
from gazemap.obs.middleware import ObservabilityMiddleware, route_template

__all__ = [
    "METRICS_PATH",
    "REQUEST_ID_HEADER",
    "GazemapMetrics",
    "ObservabilityMiddleware",
    "RequestLog",
    "accept_request_id",
    "annotate",
    "build_metrics",
    "configure_logging",
    "current_request",
    "current_request_id",
    "get_logger",
    "instrument_app",
    "metrics_endpoint",
    "multiprocess_dir",
    "new_request_id",
    "redact",
    "route_template",
]
