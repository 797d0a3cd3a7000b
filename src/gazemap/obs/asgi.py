"""Wiring into an ASGI app: the ``/metrics`` endpoint and :func:`instrument_app`.

``create_app`` calls :func:`instrument_app` once; it adds
:class:`~gazemap.obs.middleware.ObservabilityMiddleware` and a ``GET /metrics`` route
(left out of the OpenAPI schema) that renders the app's registry in the Prometheus
text format. The rendering runs in the thread pool: collectors query the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gazemap.obs.metrics import GazemapMetrics
from gazemap.obs.middleware import Identify, ObservabilityMiddleware

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["METRICS_PATH", "instrument_app", "metrics_endpoint"]

#: Where Prometheus scrapes.
METRICS_PATH = "/metrics"


def metrics_endpoint(metrics: GazemapMetrics) -> Callable[[Request], Response]:
    """A Starlette endpoint answering with ``metrics.registry`` in the text format 0.0.4.

    Every gazemap name is a legacy (ASCII) Prometheus name, so the classic 0.0.4
    format, which every Prometheus 2.x understands, loses nothing.

    Parameters
    ----------
    metrics:
        The app's metrics.

    Returns
    -------
    callable
        A synchronous endpoint (Starlette runs it in the thread pool).
    """
    from prometheus_client import generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
    from starlette.responses import Response

    def render_metrics(request: Request) -> Response:
        return Response(
            generate_latest(metrics.registry),
            media_type=CONTENT_TYPE_PLAIN_0_0_4,
            headers={"Cache-Control": "no-store"},
        )

    return render_metrics


def instrument_app(
    app: Starlette,
    *,
    metrics: GazemapMetrics,
    identify: Identify | None = None,
    path: str = METRICS_PATH,
    trust_request_id: bool = True,
) -> None:
    """Add request ids, the access log, request metrics and ``GET /metrics`` to ``app``.

    Parameters
    ----------
    app:
        A Starlette or FastAPI app that has not started yet.
    metrics:
        From :func:`~gazemap.obs.build_metrics`; collectors of live objects are added
        later with :meth:`~gazemap.obs.GazemapMetrics.watch`.
    identify:
        User id from the request headers, for the access log.
    path:
        Path of the metrics endpoint.
    trust_request_id:
        Accept the client's ``X-Request-ID``.

    Examples
    --------
    >>> from starlette.applications import Starlette
    >>> from gazemap.obs import build_metrics
    >>> app = Starlette()
    >>> instrument_app(app, metrics=build_metrics())
    >>> [r.path for r in app.routes]
    ['/metrics']
    """
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        identify=identify,
        trust_request_id=trust_request_id,
    )
    app.add_route(
        path, metrics_endpoint(metrics), methods=["GET"], name="metrics", include_in_schema=False
    )
