"""The Prometheus metrics of one gazemap app: :class:`GazemapMetrics` and :func:`build_metrics`.

Every metric lives on a :class:`~prometheus_client.CollectorRegistry` made for one app
(``create_app`` calls :func:`build_metrics`), never on prometheus-client's global
``REGISTRY``: two apps in one process (the tests build many) count separately, and
importing this module registers nothing.

Names follow the Prometheus conventions: a ``gazemap_`` prefix, base units (seconds,
bytes), ``_total`` on counters. Labels only take bounded values: the route *template*
(``/api/v1/stimuli/{stimulus_id}/heatmap``), never the path with its ids; the status
code; a method name; a level of detail.

Multiprocess mode
-----------------
When ``PROMETHEUS_MULTIPROC_DIR`` is set (several uvicorn or Celery worker processes
on one host answering for one scrape target), prometheus-client keeps counter and
histogram values in memory-mapped files in that folder, chosen when
prometheus-client is first imported. The counters and histograms here are then still
created per app, but a scrape reads every process's files through a
:class:`~prometheus_client.multiprocess.MultiProcessCollector` on a separate exposition
registry, so the values are summed over all processes on the host. Collectors that
read live objects (cache tiers, the database pool, the jobs table) answer for the
process that serves the scrape; ``docs/observability.md`` says which.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.registry import Collector

from gazemap.errors import InvalidInputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from gazemap.cache import Cache
    from gazemap.obs.collectors import AuditBacklog

__all__ = [
    "KDE_POINT_BUCKETS",
    "LATENCY_BUCKETS",
    "MULTIPROC_ENV",
    "GazemapMetrics",
    "build_metrics",
    "multiprocess_dir",
]

#: Environment variable that switches prometheus-client to multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Request latency buckets in seconds: cached maps answer in about a millisecond,
#: cold maps of large studies take seconds.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

#: Points going into one density estimate: from a few fixations to 10^8 samples.
KDE_POINT_BUCKETS = (10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8)


_REASON = re.compile(r"[a-z0-9_]{1,40}")


def multiprocess_dir() -> str | None:
    """The multiprocess folder from ``PROMETHEUS_MULTIPROC_DIR``, or ``None``.

    Raises
    ------
    InvalidInputError
        The variable is set but prometheus-client was imported before it was (its
        values then live in process memory and a scrape would miss them), or the folder
        does not exist.
    """
    path = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    if not path:
        return None
    from prometheus_client import values

    if values.ValueClass is values.MutexValue:
        raise InvalidInputError(
            f"{MULTIPROC_ENV} must be set before the process starts (prometheus-client was "
            f"imported without it), got {path!r} too late",
            field=MULTIPROC_ENV,
        )
    if not os.path.isdir(path):
        raise InvalidInputError(
            f"{MULTIPROC_ENV} must name an existing folder, got {path!r}", field=MULTIPROC_ENV
        )
    return path


@dataclass
class GazemapMetrics:
    """The metric objects of one app and the registry a scrape reads.

    Build it with :func:`build_metrics`. The middleware
    (:class:`~gazemap.obs.middleware.ObservabilityMiddleware`) observes the request
    metrics; :meth:`watch` adds collectors that read live objects at scrape time.

    Attributes
    ----------
    registry:
        What ``GET /metrics`` exposes.
    requests:
        ``gazemap_http_requests_total{method,route,status}``.
    request_seconds:
        ``gazemap_http_request_duration_seconds{method,route,status}``.
    in_progress:
        ``gazemap_http_requests_in_progress{method}``.
    heatmap_seconds:
        ``gazemap_heatmap_generation_seconds{method,level}``: requests that computed a
        heat map (a cache miss), by requested estimator and level of detail.
    kde_points:
        ``gazemap_kde_points``: points in each computed heat map.
    ingest_recordings, ingest_rows, ingest_dropped:
        ``gazemap_ingest_recordings_total``, ``gazemap_ingest_rows_total`` (rows kept)
        and ``gazemap_ingest_dropped_rows_total{reason}`` (rows cleaning dropped).
    multiprocess:
        The multiprocess folder, or ``None`` in single-process mode.
    """

    registry: CollectorRegistry
    requests: Counter
    request_seconds: Histogram
    in_progress: Gauge
    heatmap_seconds: Histogram
    kde_points: Histogram
    ingest_recordings: Counter
    ingest_rows: Counter
    ingest_dropped: Counter
    multiprocess: str | None = None
    _drop_reasons: set[str] = field(default_factory=set)

    #: Distinct drop reasons kept as label values; later ones count as ``other``.
    MAX_DROP_REASONS = 32

    def drop_reason(self, reason: str) -> str:
        """A bounded label value for a cleaning drop reason.

        Readers name reasons with short codes (``nan``, ``off_screen``); anything that
        does not look like one, and any reason past :attr:`MAX_DROP_REASONS` distinct
        ones, is counted as ``other`` so a strange file cannot grow the series.
        """
        if not _REASON.fullmatch(reason):
            return "other"
        if reason not in self._drop_reasons:
            if len(self._drop_reasons) >= self.MAX_DROP_REASONS:
                return "other"
            self._drop_reasons.add(reason)
        return reason

    def watch(
        self,
        *,
        cache: Cache | None = None,
        engine: Engine | None = None,
        jobs: bool = True,
        audit: AuditBacklog | None = None,
    ) -> Callable[[], None]:
        """Register collectors reading a cache, a database pool, the jobs table, the audit journal.

        Parameters
        ----------
        cache:
            Its tiers' counters (:class:`~gazemap.cache.metrics.CacheCollector`).
        engine:
            Its connection pool, and (with ``jobs``) the jobs table through it.
        jobs:
            Also report job counts and durations from the ``jobs`` table.
        audit:
            The context's audit journal (:class:`~gazemap.obs.collectors.AuditJournalCollector`:
            entries not yet in the database, failed insert rounds).

        Returns
        -------
        callable
            Unregisters what this call registered (call it when the context closes).
        """
        from gazemap.obs.collectors import (
            AuditJournalCollector,
            DatabasePoolCollector,
            JobCollector,
        )

        added: list[Collector] = []
        if cache is not None:
            from gazemap.cache.metrics import CacheCollector

            added.append(CacheCollector(cache))
        if engine is not None:
            added.append(DatabasePoolCollector(engine))
            if jobs:
                added.append(JobCollector(engine))
        if audit is not None:
            added.append(AuditJournalCollector(audit))
        for collector in added:
            self.registry.register(collector)

        def unwatch() -> None:
            for collector in added:
                try:
                    self.registry.unregister(collector)
                except KeyError:
                    continue  # already gone: unwatch is idempotent

        return unwatch

    def close(self) -> None:
        """Drop this process's live gauges from the multiprocess folder (no-op otherwise).

        Call it when the process stops serving (the app's shutdown), so a dead worker's
        in-progress count no longer adds to the others'.
        """
        if self.multiprocess is not None:
            from prometheus_client.multiprocess import mark_process_dead

            mark_process_dead(os.getpid(), self.multiprocess)  # type: ignore[no-untyped-call]


def build_metrics(*, version: str | None = None) -> GazemapMetrics:
    """A fresh registry with gazemap's request, heat-map and ingest metrics.

    Parameters
    ----------
    version:
        Reported as ``gazemap_build_info{version}``; default the installed version.

    Returns
    -------
    GazemapMetrics

    Raises
    ------
    InvalidInputError
        ``PROMETHEUS_MULTIPROC_DIR`` is misconfigured (see :func:`multiprocess_dir`).

    Examples
    --------
    >>> from prometheus_client import generate_latest
    >>> m = build_metrics(version="0.0-doc")
    >>> m.requests.labels(method="GET", route="/healthz", status="200").inc()
    >>> b'gazemap_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in (
    ...     generate_latest(m.registry))
    True
    """
    mp = multiprocess_dir()
    own = CollectorRegistry(auto_describe=True)
    if mp is None:
        exposed = own
    else:
        from prometheus_client.multiprocess import MultiProcessCollector

        exposed = CollectorRegistry()
        MultiProcessCollector(exposed, path=mp)  # type: ignore[no-untyped-call]
    if version is None:
        from gazemap import __version__

        version = __version__
    # an Info's value is per process; in multiprocess mode it sits on the exposed registry
    Info("gazemap_build", "The gazemap version serving.", registry=exposed).info(
        {"version": version}
    )
    route_labels = ("method", "route", "status")
    return GazemapMetrics(
        registry=exposed,
        requests=Counter(
            "gazemap_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            route_labels,
            registry=own,
        ),
        request_seconds=Histogram(
            "gazemap_http_request_duration_seconds",
            "Time from request to the last response byte, by method, route template and status.",
            route_labels,
            buckets=LATENCY_BUCKETS,
            registry=own,
        ),
        in_progress=Gauge(
            "gazemap_http_requests_in_progress",
            "HTTP requests being answered now.",
            ("method",),
            registry=own,
            multiprocess_mode="livesum",
        ),
        heatmap_seconds=Histogram(
            "gazemap_heatmap_generation_seconds",
            "Time of heat-map requests that computed the map (cache miss), by requested "
            "method and level of detail.",
            ("method", "level"),
            buckets=LATENCY_BUCKETS,
            registry=own,
        ),
        kde_points=Histogram(
            "gazemap_kde_points",
            "Gaze points in each computed heat map.",
            buckets=KDE_POINT_BUCKETS,
            registry=own,
        ),
        ingest_recordings=Counter(
            "gazemap_ingest_recordings",
            "Recordings stored by uploads.",
            registry=own,
        ),
        ingest_rows=Counter(
            "gazemap_ingest_rows",
            "Gaze rows stored by uploads (after cleaning).",
            registry=own,
        ),
        ingest_dropped=Counter(
            "gazemap_ingest_dropped_rows",
            "Gaze rows cleaning dropped from uploads, by reason.",
            ("reason",),
            registry=own,
        ),
        multiprocess=mp,
    )
