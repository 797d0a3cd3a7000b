"""Background jobs: status of a job, and pre-rendering a study's heat maps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import JSONResponse

from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.paths import StudyId
from gazemap.api.schemas import PrerenderIn
from gazemap.service import jobs
from gazemap.service.jobs import JobOut

router = APIRouter(tags=["jobs"], responses=PROBLEM_RESPONSES)

JobId = Annotated[str, Path(min_length=1, max_length=64, description="Job id.")]


@router.get("/jobs/{job_id}", summary="Get a job")
def get_job(ctx: ContextDep, actor: ActorDep, job_id: JobId) -> JobOut:
    """Poll a background job: its status, progress, and once done the result_url that answers from the cache."""
    return jobs.get_job(ctx, actor=actor, job_id=job_id)


@router.post(
    "/studies/{study_id}/prerender",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Pre-render a study's heat maps",
    response_model=JobOut,
    responses={202: {"description": "Queued; poll the Location."}},
)
def prerender(
    ctx: ContextDep, actor: ActorDep, study_id: StudyId, body: PrerenderIn
) -> JSONResponse:
    """Queue the heat maps of every stimulus of the study for each parameter set, so later requests hit the cache (researchers)."""
    job = jobs.prerender_study(
        ctx, actor=actor, study_id=study_id, param_sets=body.param_sets, render=body.render
    )
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )
