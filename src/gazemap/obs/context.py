"""Request ids and the per-request log record that code can add fields to.

The middleware (:class:`~gazemap.obs.middleware.ObservabilityMiddleware`) opens one
:class:`RequestLog` per HTTP request and keeps it in a context variable; any code
running for that request (a route, a dependency, a service function in the thread
pool) can add fields to the access-log line with :func:`annotate`. The record is a
mutable object, so additions made in a worker thread, whose context is a copy, still
reach the middleware.

A request id is taken from the client's ``X-Request-ID`` header when it is a short
token of safe characters (so nginx's ``$request_id`` and a caller's own ids survive
across hops), and made up otherwise.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "REQUEST_ID_HEADER",
    "RequestLog",
    "accept_request_id",
    "annotate",
    "current_request",
    "current_request_id",
    "new_request_id",
]

#: The header a request id travels in, both ways.
REQUEST_ID_HEADER = "X-Request-ID"

# ids end up in log lines and response headers: no spaces, quotes or control bytes
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_CURRENT: ContextVar[RequestLog | None] = ContextVar("gazemap_request_log", default=None)


def new_request_id() -> str:
    """A fresh request id: 32 hex digits of a random UUID.

    Examples
    --------
    >>> len(new_request_id())
    32
    """
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """``value`` if it is a usable request id, else a new one.

    Parameters
    ----------
    value:
        The client's ``X-Request-ID``, or ``None``.

    Returns
    -------
    str
        ``value`` when it has 1–128 characters from ``A-Z a-z 0-9 . _ : -``; a new id
        from :func:`new_request_id` otherwise (so a header cannot inject text into logs).

    Examples
    --------
    >>> accept_request_id("edge-7f3a:1")
    'edge-7f3a:1'
    >>> accept_request_id('bad id"\\n') != 'bad id"\\n'
    True
    """
    if value is not None and _SAFE_ID.fullmatch(value):
        return value
    return new_request_id()


@dataclass
class RequestLog:
    """What the access-log line of one request will say.

    Attributes
    ----------
    request_id:
        Accepted or generated id (also in the ``X-Request-ID`` response header).
    method:
        HTTP method.
    path:
        Request path (ids included; never used as a metric label).
    fields:
        Extra fields added with :func:`annotate` (``user_id``, ``cache``, ...).
    """

    request_id: str
    method: str
    path: str
    fields: dict[str, Any] = field(default_factory=dict)


def current_request() -> RequestLog | None:
    """The :class:`RequestLog` of the request being answered, or ``None`` outside one."""
    return _CURRENT.get()


def current_request_id() -> str | None:
    """The id of the request being answered, or ``None`` outside one (for audit entries).

    Examples
    --------
    >>> current_request_id() is None
    True
    """
    record = _CURRENT.get()
    return record.request_id if record is not None else None


def annotate(**fields: Any) -> None:
    """Add fields to the current request's access-log line (no-op outside a request).

    Parameters
    ----------
    **fields:
        Values to log, e.g. ``user_id=3`` or ``job_id="…"``. Sensitive names
        (passwords, tokens, participant ids) are redacted by the log configuration
        whatever is passed here.

    Examples
    --------
    >>> annotate(user_id=3)  # outside a request: nothing happens
    """
    record = _CURRENT.get()
    if record is not None:
        record.fields.update(fields)


def _enter(record: RequestLog) -> Any:
    return _CURRENT.set(record)


def _leave(token: Any) -> None:
    _CURRENT.reset(token)
