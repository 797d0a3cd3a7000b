"""Requests that meet a dropped or unreachable database: one retry for reads, else a 503.

When PostgreSQL restarts or fails over, every pooled connection dies with it. The pool
pings a connection only when it sat idle for a while
(``settings.db.ping_after_idle_seconds``, see :mod:`gazemap.store.engine`), so a
connection used a moment before the restart fails on its next statement. SQLAlchemy
then marks the whole pool stale, and the next checkout opens a fresh connection.

:class:`DatabaseOutage` turns that into what a client can act on:

- a ``GET`` or ``HEAD`` whose connection was dropped before any byte of the answer was
  sent runs once more (reads change nothing, so running one twice is safe);
- any request that still finds the database unreachable, or lost its connection while
  writing, is answered ``503 Service Unavailable`` with ``Retry-After`` and a problem
  body, never a 500. A write's transaction rolled back with the connection: nothing of
  it was stored, so retrying it is safe too.

Other database errors (a constraint violation is a bug here) stay 500s.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.requests import Request

from gazemap.api.errors import Problem, problem_response

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DATABASE_UNAVAILABLE", "DatabaseOutage", "is_outage"]

log = logging.getLogger("gazemap.api")

#: The problem answered when the database cannot be reached.
DATABASE_UNAVAILABLE = Problem(503, "Database unavailable", "database-unavailable")

_SAFE_METHODS = frozenset({"GET", "HEAD"})


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the database went away (not a wrong statement).

    True for a statement whose connection was dropped (SQLAlchemy invalidated it) and
    for ``OperationalError`` (cannot connect, server shutting down, SQLite busy).
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError)


class DatabaseOutage:
    """Pure ASGI middleware: retry a read once after a dropped connection, else answer 503.

    Parameters
    ----------
    app:
        The wrapped app. ``create_app`` adds it innermost, right outside FastAPI's
        exception handlers, so it sees the database error the route raised.
    retry_after_seconds:
        The ``Retry-After`` of the 503.
    """

    def __init__(self, app: ASGIApp, *, retry_after_seconds: int = 2) -> None:
        self.app = app
        self.retry_after = str(retry_after_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, retrying or answering 503 as described above."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        retries = 1 if scope.get("method") in _SAFE_METHODS else 0
        while True:
            try:
                # the same scope each time: routing writes the matched route into it,
                # which the access log and the metrics read after the answer (a retry
                # matches the same route again)
                await self.app(scope, receive, tracked)
                return
            except Exception as exc:
                if started or not is_outage(exc):
                    raise
                failure: BaseException = exc
            dropped = isinstance(failure, DBAPIError) and failure.connection_invalidated
            if not (retries and dropped):
                break
            retries -= 1
            log.warning(
                "database connection dropped on %s %s; retrying once on a fresh one",
                scope.get("method"),
                scope.get("path"),
            )
        log.warning(
            "database unavailable on %s %s: %s",
            scope.get("method"),
            scope.get("path"),
            getattr(failure, "orig", failure),
        )
        response = problem_response(
            Request(scope),
            DATABASE_UNAVAILABLE,
            "The database cannot be reached right now (restarting or failing over); nothing "
            f"of this request was stored. Retry in {self.retry_after} s.",
            headers={"Retry-After": self.retry_after},
        )
        await response(scope, receive, send)
