"""The app's route table as ``(method, path)`` pairs, for the route × role matrix."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount

__all__ = ["route_table"]


def _path_methods(route: BaseRoute) -> Iterator[tuple[str, str]]:
    path = getattr(route, "path", None)
    if path is None:
        return
    if isinstance(route, Mount) or getattr(route, "methods", None) is None:
        yield "GET", path  # a mount (static files) answers GET
        return
    for method in sorted(getattr(route, "methods", None) or ()):
        if method != "HEAD":  # starlette adds HEAD to every GET
            yield method, path


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every ``(method, path template)`` the app answers, included routers flattened.

    FastAPI >= 0.16x keeps included routers as branches of ``app.routes``;
    :func:`fastapi.routing.iter_route_contexts` flattens them. Older versions list
    every route in ``app.routes`` directly.
    """
    from fastapi import routing

    flatten = getattr(routing, "iter_route_contexts", None)
    routes: list[BaseRoute] = list(flatten(app.routes)) if flatten else list(app.routes)
    return sorted({pair for route in routes for pair in _path_methods(route)})
