"""The static web front end served by the API.

``index.html`` is served at ``/`` and everything under ``static/`` (ES modules, CSS,
``catalog.json``) at ``/static/``. There is no build step: the files in this folder are
what the browser runs. :func:`mount_web` adds both to an app; the Python modules of
this package are never served.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["INDEX_HTML", "STATIC_DIR", "WEB_DIR", "mount_web"]

WEB_DIR = Path(__file__).parent
INDEX_HTML = WEB_DIR / "index.html"
STATIC_DIR = WEB_DIR / "static"


def mount_web(app: FastAPI) -> None:
    """Serve the web UI from ``app``: ``GET /`` (index.html) and ``/static/*``.

    Call it after the API routes. The page needs no token; every API call it makes does.

    Parameters
    ----------
    app:
        The FastAPI application (see :func:`gazemap.api.app.create_app`).
    """
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.responses import Response
    from starlette.types import Scope

    class RevalidatedFiles(StaticFiles):
        """Static files the browser revalidates on every use (a cheap 304 by ETag).

        Module URLs carry no version (there is no build step), so a cached copy must
        never outlive a release.
        """

        async def get_response(self, path: str, scope: Scope) -> Response:
            response = await super().get_response(path, scope)
            response.headers["Cache-Control"] = "no-cache"
            return response

    def index() -> FileResponse:
        # revalidate the page on every load so a new release's modules are picked up
        return FileResponse(
            INDEX_HTML, media_type="text/html", headers={"Cache-Control": "no-cache"}
        )

    app.add_api_route(
        "/",
        index,
        methods=["GET"],
        include_in_schema=False,
        summary="The web UI",
    )
    app.mount("/static", RevalidatedFiles(directory=STATIC_DIR), name="web-static")
