"""Heat maps as background jobs: submit, run (task kinds), and look up.

Use cases: :func:`submit_heatmap_job` (one heat map), :func:`prerender_study` (every
stimulus of a study × several parameter sets, split into one sub-job per heat map so
Celery spreads them over workers) and :func:`get_job`. Importing this module registers
the task kinds ``heatmap`` and ``prerender_study`` with :func:`gazemap.jobs.register_task`;
:func:`enable_jobs` builds the runner the settings ask for and attaches it to the context.

Job params are JSON only: ids, the owner's user id, and canonical parameters
(:meth:`HeatmapParams.canonical`, :meth:`Slice.canonical`, :meth:`RenderOptions.canonical`).
The task rebuilds the caller as an :class:`Actor` from the owner id and calls
:func:`gazemap.service.heatmaps.build_heatmap`, which fills the cache; the job's result
key is that cache key, and ``result_url`` is the API address that answers from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gazemap.cache import make_key
from gazemap.errors import InvalidInputError, NotFoundError
from gazemap.jobs import FanOut, JobRunner, ProgressFn, build_job_runner, new_job_id, register_task
from gazemap.jobs.celery_runner import DEFAULT_QUEUE
from gazemap.service.actor import SYSTEM, Actor
from gazemap.service.context import ServiceContext
from gazemap.service.density import heatmap_grid
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.policy import (
    check_group_size,
    check_slice_allowed,
    require_stimulus,
    require_study,
    study_role,
)
from gazemap.service.stimulus_view import StimulusView
from gazemap.store.models import Job, Stimulus
from gazemap.store.slices import Slice

__all__ = [
    "API_PREFIX",
    "JobOut",
    "enable_jobs",
    "get_job",
    "heatmap_query",
    "params_from_canonical",
    "prerender_study",
    "submit_heatmap_job",
]

#: Prefix of the REST API's routes, for ``result_url``.
API_PREFIX = "/api/v1"

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


def params_from_canonical(data: dict[str, Any]) -> HeatmapParams:
    """Read back :meth:`HeatmapParams.canonical` (from job params).

    Parameters
    ----------
    data:
        A canonical dict.

    Returns
    -------
    HeatmapParams
        Whose ``canonical()`` equals ``data``.

    Examples
    --------
    >>> p = HeatmapParams(bandwidth=25, cols=40, rows=30, t_to=5000)
    >>> params_from_canonical(p.canonical()).canonical() == p.canonical()
    True
    """
    fields = dict(data)
    grid = fields.pop("grid", {"level": 1})
    window = fields.pop("window", [None, None])
    if isinstance(grid, dict):
        fields["level"] = grid.get("level")
    else:
        fields["cols"], fields["rows"] = grid
    fields["t_from"], fields["t_to"] = window
    return HeatmapParams(**fields)


def heatmap_query(params: HeatmapParams, slice: Slice, render: RenderOptions | None = None) -> str:
    """The query string of the heat-map route for these parameters, in one fixed order.

    Parameter names are the fields of :class:`HeatmapParams`, :class:`Slice` and
    :class:`RenderOptions`; list filters repeat their name; attribute filters are
    ``attr.<name>=<value>``; ``format`` is ``png`` with render options, else ``json``.

    Examples
    --------
    >>> heatmap_query(HeatmapParams(bandwidth=30), Slice(gender=["f"]))
    'kernel=gaussian&bandwidth=30&bandwidth_unit=px&level=1&method=auto&points=fixations&detector=ivt&weight=duration&normalize=pooled&gender=f&format=json'
    """
    canon = params.canonical()
    pairs: list[tuple[str, Any]] = [
        ("kernel", canon["kernel"]),
        ("bandwidth", canon["bandwidth"]),
        ("bandwidth_unit", canon["bandwidth_unit"]),
    ]
    if isinstance(canon["grid"], dict):
        pairs.append(("level", canon["grid"]["level"]))
    else:
        pairs += [("cols", canon["grid"][0]), ("rows", canon["grid"][1])]
    pairs += [("method", canon["method"]), ("points", canon["points"])]
    if "detector" in canon:
        pairs.append(("detector", canon["detector"]))
    pairs += [("weight", canon["weight"]), ("normalize", canon["normalize"])]
    for name, value in zip(("t_from", "t_to"), canon["window"], strict=True):
        if value is not None:
            pairs.append((name, value))
    for name, value in slice.canonical().items():
        if name == "attributes":
            pairs += [(f"attr.{k}", v) for k, vs in value.items() for v in vs]
        elif isinstance(value, list):
            pairs += [(name, v) for v in value]
        else:
            pairs.append((name, value))
    if render is not None:
        pairs += [(k, v) for k, v in render.canonical().items()]
    pairs.append(("format", "png" if render is not None else "json"))
    return urlencode([(k, _text(v)) for k, v in pairs])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _out(job: Job) -> JobOut:
    out = JobOut.model_validate(job)
    if job.status == "done" and job.kind == "heatmap":
        p = job.params
        query = heatmap_query(
            params_from_canonical(p["params"]),
            Slice.from_canonical(p.get("slice") or {}),
            RenderOptions(**p["render"]) if p.get("render") else None,
        )
        out.result_url = f"{API_PREFIX}/stimuli/{p['stimulus_id']}/heatmap?{query}"
    elif job.status == "done" and job.kind == "prerender_study":
        out.result_url = f"{API_PREFIX}/studies/{job.study_id}/stimuli"
    return out


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


def _visible(session: Any, actor: Actor, job: Job) -> bool:
    if actor.is_admin or (actor.user_id is not None and job.owner_id == actor.user_id):
        return True
    return job.study_id is not None and study_role(session, actor, job.study_id) is not None


def _job_actor(ctx: ServiceContext, owner_id: int | None) -> Actor:
    if owner_id is None:
        return SYSTEM
    from gazemap.service.accounts import get_actor

    return get_actor(ctx, user_id=int(owner_id))


@register_task("heatmap")
def run_heatmap_job(ctx: ServiceContext, params: dict[str, Any], progress: ProgressFn) -> str:
    """Task ``heatmap``: build (and cache) one heat map as the job's owner.

    Returns
    -------
    str
        The cache key of the result: the image's when rendered, else the density's.
    """
    actor = _job_actor(ctx, params.get("owner_id"))
    heatmap_params = params_from_canonical(params["params"])
    slice = Slice.from_canonical(params.get("slice") or {})
    render = RenderOptions(**params["render"]) if params.get("render") else None
    progress(0.0)
    result = build_heatmap(
        ctx,
        actor=actor,
        stimulus_id=int(params["stimulus_id"]),
        params=heatmap_params,
        slice=slice,
        render=render,
    )
    keys: dict[str, Any] = {
        "stimulus_id": int(params["stimulus_id"]),
        "data_version": result.meta["data_version"],
        "params": heatmap_params.canonical(),
        "slice": slice.canonical(),
    }
    if render is None:
        return make_key("density", **keys)
    return make_key("image", **keys, render=render.canonical())


@register_task("prerender_study")
def run_prerender_job(ctx: ServiceContext, params: dict[str, Any], progress: ProgressFn) -> FanOut:
    """Task ``prerender_study``: one ``heatmap`` sub-job per stimulus × parameter set."""
    study_id = int(params["study_id"])
    with ctx.session() as session:
        stimuli = list(
            session.scalars(
                select(Stimulus.id).where(Stimulus.study_id == study_id).order_by(Stimulus.id)
            )
        )
    children = [
        (
            "heatmap",
            {
                "owner_id": params.get("owner_id"),
                "stimulus_id": stimulus_id,
                "params": canonical,
                "slice": {},
                "render": params.get("render"),
            },
        )
        for stimulus_id in stimuli
        for canonical in params["param_sets"]
    ]
    return FanOut(children)
