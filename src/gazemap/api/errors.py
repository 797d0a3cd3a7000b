"""The one mapping of gazemap's named errors to HTTP, as RFC 9457 problem details.

Every error response of the API is ``application/problem+json``::

    {"type": ".../docs/api.md#invalid-input", "title": "Invalid input", "status": 422,
     "detail": "bandwidth must be > 0, got -3", "instance": "/api/v1/stimuli/3/heatmap",
     "request_id": "5f0c…", "errors": [{"location": "query", "field": "bandwidth",
     "message": "bandwidth must be > 0, got -3"}]}

``errors`` is present for validation problems and names where each problem is
(``query``, ``body``, ``path``, ``header``, ``form`` or ``file``, and the field). A
:class:`~gazemap.errors.FormatError` adds ``file``, ``line`` and ``column``.

=============================  ======  ==========================================
gazemap error                  status  notes
=============================  ======  ==========================================
InvalidInputError (FormatError) 422    ``errors`` names the field; line/column
NotFoundError                   404
PermissionDeniedError           403
AuthenticationError             401    ``WWW-Authenticate: Bearer``
ConflictError                   409
GroupTooSmallError              403    the detail says how to widen the slice
PayloadTooLargeError            413
RateLimitedError                429    ``Retry-After``
StorageError                    503    and AuditUnavailableError
anything else                   500    generic detail; the exception is logged
=============================  ======  ==========================================
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gazemap.errors import (
    AuthenticationError,
    ConflictError,
    FormatError,
    GazemapError,
    GroupTooSmallError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    StorageError,
)

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_RESPONSES",
    "Problem",
    "install_error_handlers",
    "problem_for",
    "problem_response",
    "validation_errors",
]

log = logging.getLogger("gazemap.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://github.com/gazemap/gazemap/blob/main/docs/api.md#"


@dataclass(frozen=True)
class Problem:
    """The HTTP side of one kind of error: status, title and the anchor of its ``type``."""

    status: int
    title: str
    slug: str

    @property
    def type(self) -> str:
        """The problem type URI (a section of ``docs/api.md``)."""
        return TYPE_BASE + self.slug


# Most specific first: the first isinstance match wins.
_MAPPING: Sequence[tuple[type[GazemapError], Problem]] = (
    (FormatError, Problem(422, "Unreadable file", "unreadable-file")),
    (InvalidInputError, Problem(422, "Invalid input", "invalid-input")),
    (NotFoundError, Problem(404, "Not found", "not-found")),
    (GroupTooSmallError, Problem(403, "Group too small", "group-too-small")),
    (PermissionDeniedError, Problem(403, "Permission denied", "permission-denied")),
    (AuthenticationError, Problem(401, "Authentication required", "authentication")),
    (ConflictError, Problem(409, "Conflict", "conflict")),
    (PayloadTooLargeError, Problem(413, "Payload too large", "payload-too-large")),
    (RateLimitedError, Problem(429, "Too many requests", "rate-limited")),
    (StorageError, Problem(503, "Storage unavailable", "storage-unavailable")),
)
_VALIDATION = Problem(422, "Invalid input", "invalid-input")
_INTERNAL = Problem(500, "Internal server error", "internal-error")
_GROUP_HINT = (
    " Widen the slice (fewer filters, a broader age range) so that it covers more "
    "participants, or ask a researcher of the study."
)


def problem_for(exc: GazemapError) -> Problem:
    """The :class:`Problem` of a named error (a plain :class:`GazemapError` is a 500)."""
    for kind, problem in _MAPPING:
        if isinstance(exc, kind):
            return problem
    return _INTERNAL


def problem_response(
    request: Request,
    problem: Problem,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response for ``request``."""
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM_JSON)


def _field_error(location: str, field: str | None, message: str) -> dict[str, Any]:
    return {"location": location, "field": field, "message": message}


def _location_of(request: Request, exc: InvalidInputError) -> str:
    """Where the offending value came from, as well as the request tells."""
    if isinstance(exc, FormatError):
        return "file"
    if exc.field is not None and exc.field in request.query_params:
        return "query"
    if exc.field is not None and exc.field in request.path_params:
        return "path"
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return "form"
    if request.method in ("GET", "HEAD", "DELETE"):
        return "query"  # derived from query parameters (e.g. the grid from cols/rows)
    return "body"


async def _gazemap_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, GazemapError):  # registered for GazemapError only
        return await _unexpected(request, exc)
    problem = problem_for(exc)
    if problem is _INTERNAL:
        return await _unexpected(request, exc)
    detail = str(exc)
    headers: dict[str, str] | None = None
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInputError):
        location = _location_of(request, exc)
        extra["errors"] = [_field_error(location, exc.field, detail)]
    if isinstance(exc, FormatError):
        extra.update(file=exc.path, line=exc.line, column=exc.column)
    elif isinstance(exc, GroupTooSmallError):
        detail += _GROUP_HINT
    elif isinstance(exc, AuthenticationError):
        headers = {"WWW-Authenticate": 'Bearer realm="gazemap"'}
    elif isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    elif isinstance(exc, StorageError):
        log.warning("storage error on %s: %s", request.url.path, exc)
    return problem_response(request, problem, detail, headers=headers, **extra)


def validation_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic/FastAPI error dicts as ``{location, field, message}`` items.

    A ``ValueError`` raised by a validator carries the offending field in its
    ``field`` attribute (:class:`~gazemap.errors.InvalidInputError`); it wins over the
    location pydantic reports, which is empty for model-level checks.
    """
    out = []
    for item in raw:
        loc = [str(part) for part in item.get("loc", ())]
        location = loc[0] if loc and loc[0] in ("query", "body", "path", "header", "form") else ""
        rest = loc[1:] if location else loc
        message = str(item.get("msg", "invalid value"))
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, InvalidInputError):
            message = str(cause)
            field = cause.field or ".".join(rest) or None
        else:
            message = message.removeprefix("Value error, ")
            field = ".".join(rest) or None
            if field and not message.startswith(field):
                message = f"{field}: {message}"
        out.append(_field_error(location or "input", field, message))
    return out


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    raw = exc.errors() if isinstance(exc, RequestValidationError) else []
    errors = validation_errors(raw)
    detail = "; ".join(e["message"] for e in errors) or "the request is not valid"
    return problem_response(request, _VALIDATION, detail, errors=errors)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        return await _unexpected(request, exc)
    headers = dict(exc.headers or {})
    title = {404: "Not found", 405: "Method not allowed", 401: "Authentication required"}.get(
        exc.status_code, "HTTP error"
    )
    problem = Problem(exc.status_code, title, f"http-{exc.status_code}")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem_response(request, problem, detail, headers=headers or None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unexpected error on %s %s (request %s)",
        request.method,
        request.url.path,
        getattr(request.state, "request_id", "-"),
        exc_info=exc,
    )
    return problem_response(
        request,
        _INTERNAL,
        "The server failed to answer this request; it has been logged. Retry later, and "
        "report the request_id if it persists.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app`` (one place for every status code)."""
    app.add_exception_handler(GazemapError, _gazemap_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(Exception, _unexpected)


def _problem_schema(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }


#: OpenAPI ``responses`` shared by authenticated routes.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_schema("Missing, expired or invalid access token."),
    403: _problem_schema("Your role does not allow this, or the slice is too small."),
    404: _problem_schema("No such object, or you may not see it."),
    422: _problem_schema("A parameter is invalid; `errors` names it."),
}
