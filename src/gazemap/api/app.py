"""The application factory: :func:`create_app` builds one FastAPI app per call.

Nothing is built at import. ``create_app(settings)`` makes the
:class:`~gazemap.service.context.ServiceContext` (engine, blob store, caches) and the
job runner when the app starts, and closes them when it stops; tests pass their own
context with ``create_app(settings, context=ctx)`` (it is then theirs to close). For
uvicorn: ``uvicorn --factory gazemap.api.app:create_app``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

import gazemap
from gazemap.api.database_outage import DatabaseOutage
from gazemap.api.errors import install_error_handlers
from gazemap.api.schemas import CompareJSON, HeatmapJSON, ProblemDetails
from gazemap.api.security import install_security
from gazemap.api.uploads import BodyLimit
from gazemap.config import Settings, get_settings
from gazemap.errors import AuditUnavailableError, AuthenticationError
from gazemap.obs import build_metrics, instrument_app
from gazemap.service.context import ServiceContext

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
log = logging.getLogger("gazemap.api")

DESCRIPTION = """\
Attention heat maps from eye-tracking data, by kernel density estimation.

Sign in with `POST /api/v1/auth/token` (form fields `username`, `password`) and send the
access token as `Authorization: Bearer <token>`. Errors are RFC 9457 problem details
(`application/problem+json`) whose `detail` says what to fix and whose `errors` name the
parameter. Heat maps carry an `ETag`; send it back in `If-None-Match` for a 304.
See docs/api.md for the whole guide.
"""

TAGS = [
    {"name": "auth", "description": "Sign in, refresh tokens, who am I."},
    {"name": "studies", "description": "Studies and their members."},
    {"name": "stimuli", "description": "Stimulus images."},
    {"name": "participants", "description": "Pseudonymous participants and erasure."},
    {"name": "recordings", "description": "Gaze file uploads, listing and export."},
    {"name": "heatmaps", "description": "Heat maps, comparisons and AOI metrics."},
    {"name": "jobs", "description": "Background jobs and pre-rendering."},
    {"name": "audit", "description": "Who did what (admins)."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def _openapi(app: FastAPI) -> dict[str, Any]:
    from fastapi.openapi.utils import get_openapi

    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    _, extra = models_json_schema(
        [(m, "serialization") for m in (ProblemDetails, HeatmapJSON, CompareJSON)],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in extra.get("$defs", {}).items():
        components.setdefault(name, definition)
    app.openapi_schema = schema
    return schema


def _user_id_from(settings: Settings) -> Callable[[Mapping[str, str]], str | None]:
    """The access log's user id: the ``sub`` of a valid bearer access token."""
    from gazemap.api.tokens import decode_token

    def identify(headers: Mapping[str, str]) -> str | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return str(decode_token(settings, token.strip(), typ="access").user_id)
        except AuthenticationError:
            return None

    return identify


def create_app(
    settings: Settings | None = None, *, context: ServiceContext | None = None
) -> FastAPI:
    """Build the gazemap API.

    Parameters
    ----------
    settings:
        Settings to build from; ``context.settings`` or :func:`get_settings` by default.
    context:
        A ready service context (tests). Without it the app builds one from
        ``settings`` at startup and closes it at shutdown.

    Returns
    -------
    FastAPI
        Routes under ``/api/v1``, ``/healthz``, ``/readyz``, ``/openapi.json``, ``/docs``.
    """
    from gazemap.api.routes import (
        audit,
        auth,
        health,
        heatmaps,
        jobs,
        participants,
        recordings,
        stimuli,
        studies,
    )

    resolved = settings or (context.settings if context is not None else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from gazemap.service.jobs import enable_jobs

        owned = context is None
        ctx = context if context is not None else ServiceContext.from_settings(resolved)
        if ctx.jobs is None:
            enable_jobs(ctx)
        app.state.context = ctx
        if ctx.audit is not None:
            # entries a crashed process on this host journalled but never inserted
            try:
                ctx.audit.recover()
            except AuditUnavailableError as exc:
                log.warning("audit journal recovery failed; reads will be refused: %s", exc)
        # cache tiers, DB pool, jobs table and audit journal are read at each scrape of /metrics
        unwatch = metrics.watch(cache=ctx.cache, engine=ctx.engine, audit=ctx.audit)
        if owned:
            # Everything imported and built so far lives as long as the process: move it
            # out of the collector's sight, so a full collection walks only what requests
            # allocate (without this, one full pass over the app's object graph is a
            # multi-millisecond stall of every request in flight).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            unwatch()
            metrics.close()
            app.state.context = None
            if owned:
                ctx.close()
            app.state.rate_limiter.close()

    app = FastAPI(
        title="gazemap",
        version=gazemap.__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.context = context
    app.state.settings = resolved
    install_error_handlers(app)
    # innermost: sees a route's database error before the 500 handler does
    app.add_middleware(DatabaseOutage)
    app.add_middleware(BodyLimit, limit=resolved.max_upload_bytes)
    # security headers, CORS (closed unless configured) and the sign-in rate limiter
    install_security(app, resolved)
    # request ids, access log and request metrics, outermost; GET /metrics
    metrics = build_metrics()
    app.state.metrics = metrics
    instrument_app(app, metrics=metrics, identify=_user_id_from(resolved))
    for module in (auth, studies, stimuli, participants, recordings, heatmaps, jobs, audit):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(health.router)
    from gazemap.web import mount_web

    mount_web(app)  # the web UI at / and /static, after the API routes
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
