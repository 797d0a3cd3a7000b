"""The task kinds the service registers: ``heatmap`` and ``prerender_study``.

Imported by :mod:`gazemap.service.jobs`, so importing that module (the API and ``gazemap
worker`` do) registers both with :func:`gazemap.jobs.register_task`. A task rebuilds the
caller from the job's ``owner_id`` and runs the same service function as a request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gazemap.cache import make_key
from gazemap.jobs import FanOut, ProgressFn, register_task
from gazemap.service.actor import SYSTEM, Actor
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.jobs.query import params_from_canonical
from gazemap.service.params import RenderOptions
from gazemap.store.models import Stimulus
from gazemap.store.slices import Slice

__all__ = ["run_heatmap_job", "run_prerender_job"]


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
