"""A tiny Starlette app that answers like gazemap's API does, for the middleware tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from gazemap.obs import GazemapMetrics, annotate, get_logger, instrument_app

#: The bearer token the fake ``identify`` accepts, and the user it names.
GOOD_TOKEN = "good-token"
USER_ID = "42"


def identify(headers: Mapping[str, str]) -> str | None:
    """User id of a request whose bearer token is :data:`GOOD_TOKEN`."""
    return USER_ID if headers.get("authorization") == f"Bearer {GOOD_TOKEN}" else None


def item(request: Request) -> Response:
    get_logger("tests.obs.route").info("inside the route", item=request.path_params["item_id"])
    annotate(study_id=7)
    return JSONResponse({"id": request.path_params["item_id"]})


def heatmap(request: Request) -> Response:
    outcome = request.query_params.get("cache", "miss")
    params = {"method": request.query_params.get("method", "fft"), "grid": {"level": 2}}
    return Response(
        b"\x89PNG fake",
        media_type="image/png",
        headers={
            "X-Gazemap-Cache": outcome,
            "X-Gazemap-Points": "1500",
            "X-Gazemap-Params": json.dumps(params, separators=(",", ":")),
        },
    )


async def upload(request: Request) -> Response:
    await request.body()
    report = {
        "rows_in": 110,
        "rows_kept": 100,
        "rows_dropped": 10,
        "dropped": {"nan": 7, "Weird Reason!": 3},
    }
    return JSONResponse({"id": 1, "recordings": [{"id": 1}, {"id": 2}], "report": report}, 201)


def fail(request: Request) -> Response:
    raise RuntimeError("boom in the route")


async def stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 1000

    return StreamingResponse(chunks(), media_type="application/octet-stream")


def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def tiny_app(metrics: GazemapMetrics, static_dir: str | None = None) -> Starlette:
    """Routes shaped like the API's, instrumented with :func:`instrument_app`."""
    routes = [
        Route("/healthz", healthz),
        Route("/items/{item_id}", item),
        Route("/api/v1/stimuli/{stimulus_id}/heatmap", heatmap),
        Route("/api/v1/stimuli/{stimulus_id}/recordings", upload, methods=["POST"]),
        Route("/fail", fail),
        Route("/stream", stream),
    ]
    if static_dir is not None:
        routes.append(Mount("/static", StaticFiles(directory=static_dir)))
    app = Starlette(routes=routes)
    instrument_app(app, metrics=metrics, identify=identify)
    return app
