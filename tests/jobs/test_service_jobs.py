"""Heat maps as jobs through the service functions, on the local runner, with the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from gazemap.cache import decode_density, make_key, unpack_entry
from gazemap.demo import demo_stimuli
from gazemap.errors import (
    InvalidGridError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from gazemap.jobs import LocalJobRunner
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.jobs import (
    enable_jobs,
    get_job,
    heatmap_query,
    list_jobs,
    params_from_canonical,
    prerender_study,
    submit_heatmap_job,
)
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.recordings import ingest_recordings
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.service.stimuli import ingest_stimulus
from gazemap.store.models import Job
from gazemap.store.slices import Slice
from tests.service.people import unique_image

PARAMS = HeatmapParams(bandwidth=30, level=2)


@pytest.fixture
def runner(ctx: ServiceContext) -> Iterator[LocalJobRunner]:
    runner = enable_jobs(ctx)
    assert isinstance(runner, LocalJobRunner)
    yield runner
    ctx.close()  # shuts the runner down; closing again in the ctx fixture is harmless


@pytest.fixture
def loaded(ctx: ServiceContext, researcher: Actor, stimulus: StimulusOut) -> StimulusOut:
    """The stimulus with the real fixations of the first demo picture (15 people)."""
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=demo_stimuli()[0].fixations_csv_path,
    )
    return stimulus


def test_heatmap_job_fills_the_cache_with_build_heatmaps_density(
    ctx: ServiceContext, runner: LocalJobRunner, researcher: Actor, loaded: StimulusOut
) -> None:
    queued = submit_heatmap_job(
        ctx, actor=researcher, stimulus_id=loaded.id, params=PARAMS, slice=Slice()
    )
    assert (queued.kind, queued.status, queued.progress) == ("heatmap", "queued", 0.0)
    assert queued.result_url is None
    assert runner.drain(120)
    done = get_job(ctx, actor=researcher, job_id=queued.id)
    assert (done.status, done.progress, done.error) == ("done", 1.0, None)
    assert done.started_at is not None
    assert done.finished_at is not None
    with ctx.session() as session:
        job = session.get(Job, queued.id)
        assert job is not None
        key = job.result_key
        assert job.owner_id == researcher.user_id
        assert job.study_id == loaded.study_id
    assert key == make_key(
        "density",
        stimulus_id=loaded.id,
        data_version=1,
        params=PARAMS.canonical(),
        slice={},
    )
    cached = ctx.cache.get(key)
    assert cached is not None
    density, meta = decode_density(cached)
    assert meta["participants"] == 15
    # the synchronous call now answers from the cache with the same array
    direct = build_heatmap(
        ctx, actor=researcher, stimulus_id=loaded.id, params=PARAMS, slice=Slice()
    )
    assert direct.meta["cache"]["density"] != "miss"
    np.testing.assert_array_equal(density, direct.density)
    assert done.result_url is not None
    url = urlsplit(done.result_url)
    assert url.path == f"/api/v1/stimuli/{loaded.id}/heatmap"
    query = parse_qs(url.query)
    assert query["bandwidth"] == ["30"]
    assert query["level"] == ["2"]
    assert query["format"] == ["json"]


def test_rendered_job_caches_the_png(
    ctx: ServiceContext, runner: LocalJobRunner, researcher: Actor, loaded: StimulusOut
) -> None:
    render = RenderOptions(colormap="viridis", opacity=0.5)
    queued = submit_heatmap_job(
        ctx,
        actor=researcher,
        stimulus_id=loaded.id,
        params=PARAMS,
        slice=Slice(gender=None),
        render=render,
    )
    assert runner.drain(120)
    done = get_job(ctx, actor=researcher, job_id=queued.id)
    assert done.status == "done"
    with ctx.session() as session:
        job = session.get(Job, queued.id)
        assert job is not None
        key = job.result_key
    assert key is not None
    assert ":image:" in key
    png = unpack_entry(ctx.cache.get(key) or b"").payload
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert done.result_url is not None
    query = parse_qs(urlsplit(done.result_url).query)
    assert (query["colormap"], query["opacity"], query["format"]) == (["viridis"], ["0.5"], ["png"])


def test_jobs_are_visible_to_members_only(
    ctx: ServiceContext,
    runner: LocalJobRunner,
    researcher: Actor,
    viewer: Actor,
    outsider: Actor,
    admin: Actor,
    loaded: StimulusOut,
) -> None:
    job = submit_heatmap_job(
        ctx, actor=researcher, stimulus_id=loaded.id, params=PARAMS, slice=Slice()
    )
    assert runner.drain(120)
    assert get_job(ctx, actor=viewer, job_id=job.id).id == job.id
    assert get_job(ctx, actor=admin, job_id=job.id).id == job.id
    with pytest.raises(NotFoundError, match=f"job {job.id} not found"):
        get_job(ctx, actor=outsider, job_id=job.id)
    with pytest.raises(NotFoundError, match="job missing not found"):
        get_job(ctx, actor=admin, job_id="missing")


def test_submission_runs_the_policy_and_the_grid_check_before_queueing(
    ctx: ServiceContext,
    runner: LocalJobRunner,
    viewer: Actor,
    outsider: Actor,
    loaded: StimulusOut,
) -> None:
    with ctx.session() as session:
        before = session.query(Job).count()
    with pytest.raises(NotFoundError, match=f"stimulus {loaded.id} not found"):
        submit_heatmap_job(ctx, actor=outsider, stimulus_id=loaded.id, params=PARAMS, slice=Slice())
    with pytest.raises(PermissionDeniedError, match="viewers may not filter by gender"):
        submit_heatmap_job(
            ctx, actor=viewer, stimulus_id=loaded.id, params=PARAMS, slice=Slice(gender=["f"])
        )
    with pytest.raises(InvalidGridError):
        submit_heatmap_job(
            ctx,
            actor=viewer,
            stimulus_id=loaded.id,
            params=HeatmapParams(cols=100_000, rows=100_000),
            slice=Slice(),
        )
    with ctx.session() as session:
        assert session.query(Job).count() == before


def test_without_a_runner_jobs_are_refused(
    ctx: ServiceContext, researcher: Actor, loaded: StimulusOut
) -> None:
    with pytest.raises(InvalidInputError, match="background jobs are not enabled"):
        submit_heatmap_job(
            ctx, actor=researcher, stimulus_id=loaded.id, params=PARAMS, slice=Slice()
        )


def test_prerender_study_splits_into_one_job_per_stimulus_and_parameter_set(
    ctx: ServiceContext,
    runner: LocalJobRunner,
    researcher: Actor,
    study: StudyOut,
    loaded: StimulusOut,
) -> None:
    second = ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=unique_image(800, 600, study.id + 7919),
        name="osie-1020",
        page_key="osie-1020",
    )
    ingest_recordings(
        ctx, actor=researcher, stimulus_id=second.id, path=demo_stimuli()[1].fixations_csv_path
    )
    sets = [PARAMS, HeatmapParams(bandwidth=20, level=3, weight="count")]
    parent = prerender_study(ctx, actor=researcher, study_id=study.id, param_sets=sets)
    assert runner.drain(120)
    done = get_job(ctx, actor=researcher, job_id=parent.id)
    assert (done.kind, done.status, done.progress) == ("prerender_study", "done", 1.0)
    assert done.result_url == f"/api/v1/studies/{study.id}/stimuli"
    with ctx.session() as session:
        row = session.get(Job, parent.id)
        assert row is not None
        children = [session.get(Job, i) for i in row.params["sub_jobs"]]
        combos = {(c.params["stimulus_id"], c.params["params"]["grid"]["level"]) for c in children}
        keys = [c.result_key for c in children]
        assert all(c.status == "done" and c.owner_id == researcher.user_id for c in children)
    assert combos == {(loaded.id, 2), (loaded.id, 3), (second.id, 2), (second.id, 3)}
    assert all(k is not None and ctx.cache.get(k) is not None for k in keys)


def test_prerender_needs_a_researcher_and_parameter_sets(
    ctx: ServiceContext, runner: LocalJobRunner, viewer: Actor, researcher: Actor, study: StudyOut
) -> None:
    with pytest.raises(PermissionDeniedError):
        prerender_study(ctx, actor=viewer, study_id=study.id, param_sets=[PARAMS])
    with pytest.raises(InvalidInputError, match="param_sets must hold 1 to 32"):
        prerender_study(ctx, actor=researcher, study_id=study.id, param_sets=[])


@pytest.mark.parametrize(
    "params",
    [
        HeatmapParams(),
        HeatmapParams(bandwidth="scott", cols=50, rows=40, points="samples", t_from=100),
        HeatmapParams(kernel="quartic", bandwidth=1.5, bandwidth_unit="deg", t_to=2000.5),
    ],
)
def test_params_round_trip_through_their_canonical_form(params: HeatmapParams) -> None:
    assert params_from_canonical(params.canonical()) == params.model_copy(
        update={"level": params.effective_level}
    )


def test_heatmap_query_lists_slice_filters_and_attributes() -> None:
    query = parse_qs(
        heatmap_query(
            HeatmapParams(cols=10, rows=8),
            Slice(gender=["m", "f"], age_min=20, attributes={"group": ["a", 2, True]}),
        )
    )
    assert query["cols"] == ["10"]
    assert query["rows"] == ["8"]
    assert "level" not in query
    assert query["gender"] == ["f", "m"]
    assert query["age_min"] == ["20"]
    assert sorted(query["attr.group"]) == ["2", "a", "true"]


def test_list_jobs_shows_what_the_caller_may_see(
    ctx: ServiceContext,
    runner: LocalJobRunner,
    researcher: Actor,
    viewer: Actor,
    outsider: Actor,
    admin: Actor,
    study: StudyOut,
    loaded: StimulusOut,
) -> None:
    first = submit_heatmap_job(
        ctx, actor=researcher, stimulus_id=loaded.id, params=PARAMS, slice=Slice()
    )
    second = submit_heatmap_job(
        ctx, actor=viewer, stimulus_id=loaded.id, params=HeatmapParams(level=3), slice=Slice()
    )
    assert runner.drain(120)
    mine = list_jobs(ctx, actor=viewer, study_id=study.id)
    assert [j.id for j in mine.items] == [second.id, first.id]  # newest first
    assert mine.total == 2
    assert all(j.status == "done" for j in mine.items)
    assert list_jobs(ctx, actor=researcher, study_id=study.id, status="queued").total == 0
    assert {j.id for j in list_jobs(ctx, actor=admin, limit=500).items} >= {first.id, second.id}
    assert list_jobs(ctx, actor=outsider).items == []
    with pytest.raises(NotFoundError, match=f"study {study.id} not found"):
        list_jobs(ctx, actor=outsider, study_id=study.id)
    with pytest.raises(InvalidInputError, match="status must be queued, running, done or failed"):
        list_jobs(ctx, actor=researcher, status="lost")
