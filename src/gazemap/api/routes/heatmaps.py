"""Heat maps: one slice as PNG, JSON or .npy; comparisons of two slices; AOI metrics."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response, status
from fastapi.responses import JSONResponse

from gazemap.api.body_inputs import body_params, body_slice
from gazemap.api.compare_query import CompareQuery, compare_query
from gazemap.api.conditional import etag_matches, quoted
from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.encoding import grid_json, npy_bytes
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.heatmap_query import HEATMAP_QUERY_OPENAPI, HeatmapQuery, heatmap_query
from gazemap.api.paths import StimulusId
from gazemap.api.revalidate import heatmap_etag, representation_tag
from gazemap.api.schemas import AOIRequest, AOITable, CompareJSON, HeatmapJSON
from gazemap.errors import TooCostlyError
from gazemap.service import aoi, heatmaps, jobs
from gazemap.service.compare import compare
from gazemap.service.params import RenderOptions

router = APIRouter(prefix="/stimuli/{stimulus_id}", tags=["heatmaps"], responses=PROBLEM_RESPONSES)

#: Browsers keep the map but revalidate it on every use with If-None-Match, which is cheap
#: (one row read, see gazemap.api.revalidate) and never shows a map older than the data:
#: a max-age would show the old map for that long after an upload.
CACHE_CONTROL = "private, no-cache"

_IfNoneMatch = Annotated[
    str | None,
    Header(description="ETag of a copy you have; 304 Not Modified if it is still current."),
]


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _headers(meta: dict[str, Any], cache: str, etag: str) -> dict[str, str]:
    bandwidth = meta.get("bandwidth")
    scale = meta.get("scale")
    return {
        "ETag": quoted(etag),
        "Cache-Control": CACHE_CONTROL,
        "X-Gazemap-Cache": cache,
        "X-Gazemap-Participants": str(meta.get("participants", 0)),
        "X-Gazemap-Recordings": str(meta.get("recordings", 0)),
        "X-Gazemap-Points": str(meta.get("points", 0)),
        "X-Gazemap-Bandwidth": "none"
        if bandwidth is None
        else f"{bandwidth[0]:.6g},{bandwidth[1]:.6g}",
        "X-Gazemap-Scale": "none" if scale is None else f"{scale:.6g}",
        "X-Gazemap-Params": _compact(meta.get("params", {})),
    }


@router.get(
    "/heatmap",
    summary="Heat map of a stimulus",
    response_class=Response,
    responses={
        200: {
            "description": "The heat map: PNG, JSON (see HeatmapJSON) or .npy.",
            "content": {
                "image/png": {},
                "application/json": {"schema": {"$ref": "#/components/schemas/HeatmapJSON"}},
                "application/octet-stream": {},
            },
        },
        202: {"description": "Queued as a background job; poll the Location."},
        304: {"description": "Not modified: If-None-Match matched the ETag."},
    },
    openapi_extra=HEATMAP_QUERY_OPENAPI,
)
def get_heatmap(
    ctx: ContextDep,
    actor: ActorDep,
    stimulus_id: StimulusId,
    q: Annotated[HeatmapQuery, Depends(heatmap_query)],
    if_none_match: _IfNoneMatch = None,
) -> Response:
    """Estimate the attention density of the chosen participants on the stimulus and return it as a picture (png), a grid (json) or a float64 array (npy); large requests, or async=true, become a job (202)."""
    render = q.render if q.format == "png" else None
    if if_none_match:
        tag = heatmap_etag(
            ctx,
            actor=actor,
            stimulus_id=stimulus_id,
            params=q.params,
            slice=q.slice,
            render=render,
            format=q.format,
        )
        if etag_matches(if_none_match, tag):
            return Response(
                status_code=status.HTTP_304_NOT_MODIFIED,
                headers={"ETag": quoted(tag), "Cache-Control": CACHE_CONTROL},
            )
    if q.run_async:
        return _submit(ctx, actor, stimulus_id, q, render)
    try:
        # a cached density is answered at once; only a miss is costed (and maybe queued)
        result = heatmaps.build_heatmap(
            ctx,
            actor=actor,
            stimulus_id=stimulus_id,
            params=q.params,
            slice=q.slice,
            render=render,
            max_cost=ctx.settings.jobs.async_cost_threshold,
        )
    except TooCostlyError:
        return _submit(ctx, actor, stimulus_id, q, render)
    headers = _headers(result.meta, result.cache, representation_tag(result.etag, q.format))
    if q.format == "png" and result.png is not None:
        return Response(result.png, media_type="image/png", headers=headers)
    if q.format == "npy":
        return Response(
            npy_bytes(result.density), media_type="application/octet-stream", headers=headers
        )
    grid = result.meta["grid"]
    body = HeatmapJSON(
        density=grid_json(result.density),
        rows=int(result.density.shape[0]),
        cols=int(result.density.shape[1]),
        width=int(grid["width"]),
        height=int(grid["height"]),
        meta=result.meta,
    )
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


def _submit(
    ctx: ContextDep,
    actor: ActorDep,
    stimulus_id: int,
    q: HeatmapQuery,
    render: RenderOptions | None,
) -> Response:
    job = jobs.submit_heatmap_job(
        ctx, actor=actor, stimulus_id=stimulus_id, params=q.params, slice=q.slice, render=render
    )
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.get(
    "/heatmap/compare",
    summary="Compare two slices",
    response_class=Response,
    responses={
        200: {
            "description": "The difference map (PNG) or the scores (JSON).",
            "content": {
                "image/png": {},
                "application/json": {"schema": {"$ref": "#/components/schemas/CompareJSON"}},
            },
        },
    },
)
def compare_heatmaps(
    ctx: ContextDep,
    actor: ActorDep,
    stimulus_id: StimulusId,
    q: Annotated[CompareQuery, Depends(compare_query)],
) -> Response:
    """Compare slice A (a.* parameters) with slice B (b.*, optionally on another version of the page): a difference map A − B as PNG, or similarity scores (CC, KL, SIM) as JSON."""
    result = compare(
        ctx,
        actor=actor,
        stimulus_id=stimulus_id,
        params=q.params,
        slice_a=q.slice_a,
        slice_b=q.slice_b,
        stimulus_b_id=q.stimulus_b_id,
        render=q.render if q.format == "png" else None,
    )
    headers = {
        "ETag": quoted(representation_tag(result.etag, q.format)),
        "Cache-Control": CACHE_CONTROL,
        "X-Gazemap-Params": _compact(q.params.canonical()),
    }
    if q.format == "png" and result.png is not None:
        return Response(result.png, media_type="image/png", headers=headers)
    body = CompareJSON(
        scores=result.scores,
        rows=int(result.difference.shape[0]),
        cols=int(result.difference.shape[1]),
        difference=grid_json(result.difference) if q.include_grid else None,
        meta=result.meta,
    )
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


@router.post("/aoi-metrics", summary="Area-of-interest metrics")
def aoi_metrics(
    ctx: ContextDep, actor: ActorDep, stimulus_id: StimulusId, body: AOIRequest
) -> AOITable:
    """Score each area of interest over the slice's fixations: time to first fixation, dwell time, fixation count, revisits and share of participants who looked."""
    items = aoi.aoi_metrics(
        ctx,
        actor=actor,
        stimulus_id=stimulus_id,
        aois=body.aois,
        slice=body_slice(body.slice.model_dump(exclude_none=True)),
        params=body_params(detector=body.detector, t_from=body.t_from, t_to=body.t_to),
    )
    return AOITable(items=items)
