"""Heat maps as background jobs: submit, run (task kinds), and look up.

Use cases: :func:`submit_heatmap_job` (one heat map), :func:`prerender_study` (every
stimulus of a study × several parameter sets, split into one sub-job per heat map so
Celery spreads them over workers), :func:`get_job` and :func:`list_jobs`. Importing this
package registers the task kinds ``heatmap`` and ``prerender_study``
(:mod:`gazemap.service.jobs.tasks`) with :func:`gazemap.jobs.register_task`;
:func:`enable_jobs` builds the runner the settings ask for and attaches it to the context.
:mod:`gazemap.service.jobs.query` turns job params back into models and URLs.

Job params are JSON only: ids, the owner's user id, and canonical parameters
(:meth:`HeatmapParams.canonical`, :meth:`Slice.canonical`, :meth:`RenderOptions.canonical`).
The task rebuilds the caller as an :class:`Actor` from the owner id and calls
:func:`gazemap.service.heatmaps.build_heatmap`, which fills the cache; the job's result
key is that cache key, and ``result_url`` is the API address that answers from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError, NotFoundError
from gazemap.jobs import JobRunner, build_job_runner, new_job_id
from gazemap.jobs.celery_runner import DEFAULT_QUEUE
from gazemap.service.actor import Actor
from gazemap.service.auditing import audit_refusals
from gazemap.service.context import ServiceContext
from gazemap.service.density import heatmap_grid
from gazemap.service.jobs import tasks as _tasks  # noqa: F401 (registers the task kinds)
from gazemap.service.jobs.query import (
    API_PREFIX,
    heatmap_query,
    heatmap_result_url,
    params_from_canonical,
)
from gazemap.service.paging import check_page
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.policy import (
    check_group_size,
    check_slice_allowed,
    require_stimulus,
    require_study,
    study_role,
)
from gazemap.service.schemas import Page
from gazemap.service.stimulus_view import StimulusView
from gazemap.store.models import Job, Membership
from gazemap.store.slices import Slice

__all__ = [
    "API_PREFIX",
    "MAX_PARAM_SETS",
    "JobOut",
    "enable_jobs",
    "get_job",
    "heatmap_query",
    "list_jobs",
    "params_from_canonical",
    "prerender_study",
    "submit_heatmap_job",
]

#: Most parameter sets one prerender job may ask for.
MAX_PARAM_SETS = 32


class JobOut(BaseModel):
    """A background job and how far it got."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Job id (a UUID).")
    kind: str = Field(description="What the job does: 'heatmap' or 'prerender_study'.")
    status: Literal["queued", "running", "done", "failed"] = Field(
        description="'queued' (waiting for a worker), 'running', 'done' or 'failed'."
    )
    progress: float = Field(description="Fraction done, 0 to 1.")
    result_url: str | None = Field(
        default=None,
        description="Where the result can be fetched once the job is done (a heat-map URL answered from the cache); null otherwise.",
    )
    error: str | None = Field(default=None, description="Why the job failed, when it did.")
    created_at: datetime = Field(description="When the job was submitted (UTC).")
    started_at: datetime | None = Field(
        default=None, description="When a worker last started it (UTC)."
    )
    finished_at: datetime | None = Field(default=None, description="When it ended (UTC).")


def enable_jobs(
    ctx: ServiceContext, *, queue: str = DEFAULT_QUEUE, recover: bool = True
) -> JobRunner:
    """Build the runner ``ctx.settings.jobs.backend`` asks for and attach it as ``ctx.jobs``.

    Parameters
    ----------
    ctx:
        The process's context; :meth:`ServiceContext.close` shuts the runner down.
    queue:
        Celery queue (ignored by the local runner).
    recover:
        Local runner: re-submit jobs a previous process left queued or running.

    Returns
    -------
    JobRunner
        The runner, also stored in ``ctx.jobs``.
    """
    if ctx.jobs is None:
        ctx.jobs = build_job_runner(ctx, queue=queue, recover=recover)
    return ctx.jobs


def _runner(ctx: ServiceContext) -> JobRunner:
    if ctx.jobs is None:
        raise InvalidInputError(
            "background jobs are not enabled in this process (call enable_jobs(ctx))",
            field="jobs",
        )
    return ctx.jobs


def _out(job: Job) -> JobOut:
    out = JobOut.model_validate(job)
    if job.status == "done" and job.kind == "heatmap":
        out.result_url = heatmap_result_url(job.params)
    elif job.status == "done" and job.kind == "prerender_study":
        out.result_url = f"{API_PREFIX}/studies/{job.study_id}/stimuli"
    return out


@audit_refusals("heatmap.view", target="stimulus:{stimulus_id}", keep=("params", "slice", "render"))
def submit_heatmap_job(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice: Slice,
    render: RenderOptions | None = None,
) -> JobOut:
    """Queue the computation of one heat map; the result lands in the cache.

    Parameters
    ----------
    ctx:
        Service context with a job runner (:func:`enable_jobs`).
    actor:
        The caller; the same checks as :func:`build_heatmap` run first, and the job runs
        as this user.
    stimulus_id, params, slice, render:
        As for :func:`build_heatmap`.

    Returns
    -------
    JobOut
        The queued job; poll :func:`get_job` until ``done``, then fetch ``result_url``.

    Raises
    ------
    NotFoundError
        No such stimulus, or the caller may not see it.
    PermissionDeniedError, GroupTooSmallError
        The caller may not see this slice.
    InvalidGridError
        The grid exceeds ``settings.kde.max_cells`` (refused before anything is queued).
    InvalidInputError
        Jobs are not enabled in this process.
    """
    runner = _runner(ctx)
    with ctx.session() as session:
        stimulus = require_stimulus(session, actor, stimulus_id, need="viewer")
        check_slice_allowed(session, actor, stimulus.study, slice)
        check_group_size(
            session,
            actor,
            stimulus.study,
            stimulus_id=stimulus_id,
            slice=slice,
            settings=ctx.settings,
        )
        heatmap_grid(
            StimulusView.of(session, stimulus), params, max_cells=ctx.settings.kde.max_cells
        )
        study_id = stimulus.study_id
    job = Job(
        id=new_job_id(),
        kind="heatmap",
        status="queued",
        params=_heatmap_job_params(actor, stimulus_id, params, slice, render),
        owner_id=actor.user_id,
        study_id=study_id,
    )
    return _queue(ctx, runner, job)


def _queue(ctx: ServiceContext, runner: JobRunner, job: Job) -> JobOut:
    # The checks ran in their own read-only transaction: on SQLite, a transaction that
    # reads and then writes fails at once ("database is locked") when another process
    # wrote in between, so the insert gets a transaction of its own.
    with ctx.session() as session:
        session.add(job)
        session.flush()
        out = _out(job)
    runner.submit(out.id)  # after the commit, so a worker always finds the row
    return out


def _heatmap_job_params(
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice: Slice,
    render: RenderOptions | None,
) -> dict[str, Any]:
    return {
        "owner_id": actor.user_id,
        "stimulus_id": stimulus_id,
        "params": params.canonical(),
        "slice": slice.canonical(),
        "render": None if render is None else render.canonical(),
    }


@audit_refusals("study.prerender", target="study:{study_id}")
def prerender_study(
    ctx: ServiceContext,
    *,
    actor: Actor,
    study_id: int,
    param_sets: list[HeatmapParams],
    render: RenderOptions | None = None,
) -> JobOut:
    """Queue the heat maps of every stimulus of a study for each parameter set (whole slice).

    The job splits into one ``heatmap`` sub-job per stimulus × parameter set, so a
    Celery deployment spreads them over every worker; its ``progress`` is the share of
    sub-jobs finished, and it fails when any sub-job failed (naming the first error).

    Parameters
    ----------
    ctx:
        Service context with a job runner.
    actor:
        Needs the researcher role in the study.
    study_id:
        The study.
    param_sets:
        One to :data:`MAX_PARAM_SETS` parameter sets.
    render:
        Also render (and cache) the PNG with these options.

    Returns
    -------
    JobOut
        The queued parent job.

    Raises
    ------
    NotFoundError, PermissionDeniedError
        From the policy.
    InvalidInputError
        No parameter sets, too many, or jobs not enabled.
    """
    runner = _runner(ctx)
    if not param_sets or len(param_sets) > MAX_PARAM_SETS:
        raise InvalidInputError(
            f"param_sets must hold 1 to {MAX_PARAM_SETS} parameter sets, got {len(param_sets)}",
            field="param_sets",
        )
    with ctx.session() as session:
        require_study(session, actor, study_id, need="researcher")
    job = Job(
        id=new_job_id(),
        kind="prerender_study",
        status="queued",
        params={
            "owner_id": actor.user_id,
            "study_id": study_id,
            "param_sets": [p.canonical() for p in param_sets],
            "render": None if render is None else render.canonical(),
        },
        owner_id=actor.user_id,
        study_id=study_id,
    )
    return _queue(ctx, runner, job)


def get_job(ctx: ServiceContext, *, actor: Actor, job_id: str) -> JobOut:
    """A job, if the caller may see it.

    Members of the job's study (any role) and admins see it; a job without a study only
    its owner and admins.

    Raises
    ------
    NotFoundError
        No such job, or one the caller may not see (one message for both).
    """
    with ctx.session() as session:
        job = session.get(Job, job_id)
        if job is None or not _visible(session, actor, job):
            raise NotFoundError(f"job {job_id} not found")
        return _out(job)


def _visible(session: Session, actor: Actor, job: Job) -> bool:
    if actor.is_admin or (actor.user_id is not None and job.owner_id == actor.user_id):
        return True
    return job.study_id is not None and study_role(session, actor, job.study_id) is not None


def list_jobs(
    ctx: ServiceContext,
    *,
    actor: Actor,
    study_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[JobOut]:
    """The jobs the caller may see, newest first.

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        Admins see every job; others their own and those of studies they are members of.
    study_id:
        Only jobs of this study (which the caller must be able to see).
    status:
        Only jobs in this status (``queued``, ``running``, ``done``, ``failed``).
    limit, offset:
        Page size (1–500) and start.

    Returns
    -------
    Page[JobOut]

    Raises
    ------
    NotFoundError
        ``study_id`` names a study the caller cannot see.
    InvalidInputError
        An unknown status or a bad page.
    """
    check_page(limit, offset)
    if status is not None and status not in ("queued", "running", "done", "failed"):
        raise InvalidInputError(
            f"status must be queued, running, done or failed, got {status!r}", field="status"
        )
    conditions = []
    with ctx.session() as session:
        if study_id is not None:
            require_study(session, actor, study_id, need="viewer")
            conditions.append(Job.study_id == study_id)
        if not actor.is_admin:
            mine = select(Membership.study_id).where(Membership.user_id == actor.user_id)
            conditions.append(
                or_(Job.owner_id == actor.user_id, Job.study_id.in_(mine))
                if actor.user_id is not None
                else Job.study_id.in_(mine)
            )
        if status is not None:
            conditions.append(Job.status == status)
        total = session.scalar(select(func.count()).select_from(Job).where(*conditions))
        rows = session.scalars(
            select(Job)
            .where(*conditions)
            .order_by(Job.created_at.desc(), Job.id)
            .limit(limit)
            .offset(offset)
        )
        items = [_out(job) for job in rows]
    return Page[JobOut](items=items, total=int(total or 0), limit=limit, offset=offset)
