"""One pure-ASGI middleware for request ids, the access log and the request metrics.

Per HTTP request it

1. accepts the client's ``X-Request-ID`` or makes one
   (:func:`~gazemap.obs.context.accept_request_id`), binds it to every log event of
   the request (structlog context variables), stores it in ``request.state.request_id``
   for routes (audit entries), and echoes it in the response header;
2. times the request to its last body byte;
3. labels the metrics with the *route template* Starlette matched
   (``/api/v1/stimuli/{stimulus_id}/heatmap``), ``<unmatched>`` when none did;
4. writes one ``event="request"`` log line: request id, user id, method, route, path,
   query parameters (secrets redacted), status, duration, response size and what
   :func:`~gazemap.obs.probes.observe_response` read (cache outcome, points, rows).

Being plain ASGI (no ``BaseHTTPMiddleware``), it never buffers a response; only an
upload's small JSON answer is copied for its cleaning report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import structlog

from gazemap.obs.context import REQUEST_ID_HEADER, RequestLog, _enter, _leave, accept_request_id
from gazemap.obs.metrics import GazemapMetrics
from gazemap.obs.probes import MAX_REPORT_BYTES, observe_response, wants_body

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["QUIET_ROUTES", "UNMATCHED", "Identify", "ObservabilityMiddleware", "route_template"]

#: Route label of requests no route matched (404s, redirects), so paths never become labels.
UNMATCHED = "<unmatched>"

#: Routes polled by machines; their access lines are written at DEBUG level.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})

#: Finds the caller's user id from the request headers (names lower-case), or ``None``.
Identify = Callable[[Mapping[str, str]], "str | int | None"]

_MAX_PARAMS = 40
_MAX_VALUE = 200


def route_template(scope: Mapping[str, Any]) -> str:
    """The path template of the route that answered, or :data:`UNMATCHED`.

    Examples
    --------
    >>> from starlette.routing import Route
    >>> route_template({"route": Route("/items/{item_id}", lambda r: None)})
    '/items/{item_id}'
    >>> route_template({})
    '<unmatched>'
    """
    # FastAPI ≥ 0.130 keeps an included router's route as written ("/auth/token") in
    # scope["route"]; the prefixed template lives in its effective route context
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    if effective is not None:
        template = getattr(getattr(effective, "starlette_route", None), "path_format", None)
        template = template or getattr(effective, "path_format", None)
        if isinstance(template, str) and template:
            return template
    route = scope.get("route")
    if route is None:
        # FastAPI's router records plain routes (/metrics, /docs) nowhere: match again
        route = _first_full_match(scope)
    if route is None:
        return UNMATCHED
    # a Mount's format ends in "/{path}": everything below it is one label
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    return template or "/"


def _first_full_match(scope: Mapping[str, Any]) -> Any:
    from starlette.routing import Match

    for candidate in getattr(scope.get("router"), "routes", ()):
        if not isinstance(getattr(candidate, "path_format", None), str):
            continue
        match, _ = candidate.matches(dict(scope))
        if match is Match.FULL:
            return candidate
    return None


def _query(scope: Mapping[str, Any]) -> dict[str, Any]:
    raw = scope.get("query_string", b"")
    if not raw:
        return {}
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)[:_MAX_PARAMS]
    params: dict[str, Any] = {}
    for key, value in pairs:
        short = value if len(value) <= _MAX_VALUE else value[:_MAX_VALUE] + "…"
        if key in params:
            old = params[key]
            params[key] = [*old, short] if isinstance(old, list) else [old, short]
        else:
            params[key] = short
    return params


def _headers(raw: Any) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw or ()}


class ObservabilityMiddleware:
    """Request ids, access log and request metrics for an ASGI app.

    Parameters
    ----------
    app:
        The wrapped ASGI app.
    metrics:
        Where to count; ``None`` only logs (a tool that has no ``/metrics``).
    identify:
        Returns the caller's user id from the request headers (``create_app`` passes a
        function that verifies the bearer token); unverified callers are logged
        without one. A route may also set it with ``annotate(user_id=...)``.
    trust_request_id:
        Accept the client's ``X-Request-ID``; set false on an instance reachable
        without a proxy that sets its own.
    logger:
        Logger name of the access lines.

    Notes
    -----
    An exception escaping the app counts and logs as status 500 (with the traceback)
    and is raised again for the server's error handling.

    Examples
    --------
    ``create_app`` adds it with ``app.add_middleware(ObservabilityMiddleware,
    metrics=metrics, identify=...)``; a test wraps a tiny Starlette app directly.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: GazemapMetrics | None = None,
        identify: Identify | None = None,
        trust_request_id: bool = True,
        logger: str = "gazemap.access",
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.identify = identify
        self.trust_request_id = trust_request_id
        self.log = structlog.stdlib.get_logger(logger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI call (only ``http`` calls are observed)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_headers = _headers(scope.get("headers"))
        given = request_headers.get(REQUEST_ID_HEADER.lower()) if self.trust_request_id else None
        request_id = accept_request_id(given)
        method = str(scope.get("method", "GET"))
        state = scope.setdefault("state", {})
        if isinstance(state, dict):
            state["request_id"] = request_id
        record = RequestLog(request_id=request_id, method=method, path=str(scope.get("path", "")))
        response: dict[str, Any] = {"status": 500, "headers": {}, "bytes": 0, "body": None}
        header_value = request_id.encode("latin-1")

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers = [(k, v) for k, v in headers if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", header_value))
                message = {**message, "headers": headers}
                response["status"] = int(message["status"])
                response["headers"] = _headers(headers)
                # routing is over once the response starts: match (or re-match) once
                response["route"] = route_template(scope)
                if wants_body(method, response["route"], response["status"], response["headers"]):
                    response["body"] = bytearray()
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                response["bytes"] += len(chunk)
                body = response["body"]
                if body is not None:
                    if len(body) + len(chunk) > MAX_REPORT_BYTES:
                        response["body"] = None
                    else:
                        body.extend(chunk)
            await send(message)

        in_progress = self.metrics.in_progress.labels(method=method) if self.metrics else None
        if in_progress is not None:
            in_progress.inc()
        token = _enter(record)
        failure: BaseException | None = None
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                try:
                    await self.app(scope, receive, send_observed)
                except Exception as exc:
                    failure = exc
                    response["status"] = 500
                    raise
                finally:
                    seconds = time.perf_counter() - started
                    self._finish(scope, record, request_headers, response, seconds, failure)
        finally:
            _leave(token)
            if in_progress is not None:
                in_progress.dec()

    def _finish(
        self,
        scope: Scope,
        record: RequestLog,
        request_headers: Mapping[str, str],
        response: dict[str, Any],
        seconds: float,
        failure: BaseException | None,
    ) -> None:
        route = response.get("route") or route_template(scope)
        status = int(response["status"])
        body = response["body"]
        fields = observe_response(
            self.metrics,
            headers=response["headers"],
            body=bytes(body) if body is not None else None,
            seconds=seconds,
        )
        if self.metrics is not None:
            labels = {"method": record.method, "route": route, "status": str(status)}
            self.metrics.requests.labels(**labels).inc()
            self.metrics.request_seconds.labels(**labels).observe(seconds)
        user_id = record.fields.get("user_id")
        if user_id is None and self.identify is not None and "authorization" in request_headers:
            user_id = self.identify(request_headers)
        line: dict[str, Any] = {
            "method": record.method,
            "route": route,
            "path": record.path,
            "status": status,
            "duration_ms": round(seconds * 1000.0, 3),
            "bytes": response["bytes"],
            "user_id": user_id,
        }
        params = _query(scope)
        if params:
            line["params"] = params
        line.update(fields)
        line.update({k: v for k, v in record.fields.items() if k != "user_id"})
        client = scope.get("client")
        if client:
            line["client"] = client[0]
        if failure is not None:
            self.log.error("request", exc_info=failure, **line)
        elif status >= 500:
            self.log.error("request", **line)
        elif route in QUIET_ROUTES:
            self.log.debug("request", **line)
        else:
            self.log.info("request", **line)
