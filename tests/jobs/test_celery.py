"""The Celery path for real: a ``gazemap worker`` subprocess on the local Redis runs jobs.

The test process and the worker share a temporary SQLite database and ``GAZEMAP_HOME``
(so the worker's disk cache is the test's), and use a Redis database number of their
own (:data:`CELERY_DB`) with a queue named for this run, so parallel runs never take
each other's messages. Parameters carry a random bandwidth so a cache entry left by an
earlier run can never answer this one.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from gazemap.config import JobSettings, Settings
from gazemap.demo import demo_stimuli
from gazemap.jobs import CeleryJobRunner, new_job_id
from gazemap.service.accounts import create_user
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.jobs import JobOut, enable_jobs, get_job, prerender_study, submit_heatmap_job
from gazemap.service.params import HeatmapParams
from gazemap.service.recordings import ingest_recordings
from gazemap.service.stimuli import ingest_stimulus
from gazemap.service.studies import create_study
from gazemap.store.migrate import upgrade
from gazemap.store.models import Job, Stimulus
from gazemap.store.slices import Slice

pytestmark = [pytest.mark.redis, pytest.mark.slow]

GAZEMAP_SCRIPT = Path(sys.executable).with_name("gazemap")
#: Redis database of these tests (the cache tests use the fixture's, 15 by default).
CELERY_DB = 13
#: Generous bound for a job to finish; reaching it fails the test with the worker's log.
DEADLINE_SECONDS = 120.0


@dataclass
class CeleryWorld:
    """A context on the shared database, the worker process and where its log goes."""

    ctx: ServiceContext
    worker: subprocess.Popen[bytes]
    log: Path
    redis_url: str
    queue: str
    researcher: Actor
    keys: list[str]


def _redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown of the worker's process group; killed if it does not end."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def world(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorld]:
    import redis

    folder = tmp_path_factory.mktemp("celery")
    database_url = f"sqlite:///{folder / 'gazemap.db'}"
    upgrade(database_url)
    broker = _redis_db(redis_url, CELERY_DB)
    queue = f"gazemap-test-{secrets.token_hex(6)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZEMAP_")}
    env.update(
        GAZEMAP_ENVIRONMENT="test",
        GAZEMAP_HOME=str(folder / "home"),
        GAZEMAP_DATABASE_URL=database_url,
        GAZEMAP_REDIS_URL=broker,
        GAZEMAP_JOBS__BACKEND="celery",
    )
    log = folder / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(GAZEMAP_SCRIPT), "worker", "--concurrency", "1", "--queue", queue],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to stop the pool children too
        )
    settings = Settings(
        environment="test",
        home=folder / "home",
        database_url=database_url,
        redis_url=broker,
        jobs=JobSettings(backend="celery"),
    )
    ctx = ServiceContext.from_settings(settings)
    world_keys: list[str] = []
    try:
        runner = enable_jobs(ctx, queue=queue)
        assert isinstance(runner, CeleryJobRunner)
        user = create_user(
            ctx,
            username=f"celery-{secrets.token_hex(3)}",
            password="a long password",
            role="researcher",
        )
        researcher = Actor(user_id=user.id, username=user.username, role="researcher")
        yield CeleryWorld(ctx, worker, log, broker, queue, researcher, world_keys)
    finally:
        _stop(worker)
        ctx.close()
        client = redis.Redis.from_url(broker)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        if world_keys:
            client.delete(*(f"gazemap:cache:data:{k}" for k in world_keys))
        client.close()


def wait_for(world: CeleryWorld, job_id: str) -> JobOut:
    """Poll the job row until it ended; fail with the worker's log after the deadline."""
    end = time.monotonic() + DEADLINE_SECONDS
    while True:
        job = get_job(world.ctx, actor=world.researcher, job_id=job_id)
        if job.status in ("done", "failed"):
            return job
        if world.worker.poll() is not None or time.monotonic() > end:
            pytest.fail(
                f"job {job_id} still {job.status}; worker exit code {world.worker.poll()}:\n"
                + world.log.read_text(errors="replace")[-4000:]
            )
        time.sleep(0.2)


def demo_stimulus(world: CeleryWorld, index: int) -> int:
    ctx, researcher = world.ctx, world.researcher
    study = create_study(ctx, actor=researcher, name=f"celery {secrets.token_hex(3)}")
    item = demo_stimuli()[index]
    stimulus = ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=item.image_path.read_bytes(),
        name=item.name,
        page_key=item.name,
    )
    ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=item.fixations_csv_path)
    return stimulus.id


def fresh_params(**fields: object) -> HeatmapParams:
    """Parameters no earlier run can have cached: a random bandwidth near 30 px."""
    return HeatmapParams(bandwidth=30 + secrets.randbelow(10**6) / 10**7, level=2, **fields)


def test_worker_runs_a_heatmap_job_and_its_result_lands_in_the_cache(world: CeleryWorld) -> None:
    stimulus_id = demo_stimulus(world, 0)
    params = fresh_params()
    queued = submit_heatmap_job(
        world.ctx, actor=world.researcher, stimulus_id=stimulus_id, params=params, slice=Slice()
    )
    assert queued.status == "queued"
    done = wait_for(world, queued.id)
    assert (done.status, done.progress, done.error) == ("done", 1.0, None), done.error
    with world.ctx.session() as session:
        row = session.get(Job, queued.id)
        assert row is not None
        key, attempts = row.result_key, row.attempts
    assert attempts == 1
    assert key is not None
    world.keys.append(key)
    # computed by the worker: this process never built it, yet the cache has it
    assert world.ctx.cache.get(key) is not None
    again = build_heatmap(
        world.ctx, actor=world.researcher, stimulus_id=stimulus_id, params=params, slice=Slice()
    )
    assert again.meta["cache"]["density"].startswith("hit")
    assert again.meta["participants"] == 15


def test_a_failing_job_is_recorded_failed_by_the_worker(world: CeleryWorld) -> None:
    job_id = new_job_id()
    with world.ctx.session() as session:
        session.add(
            Job(
                id=job_id,
                kind="heatmap",
                params={
                    "owner_id": world.researcher.user_id,
                    "stimulus_id": 987654,
                    "params": fresh_params().canonical(),
                    "slice": {},
                    "render": None,
                },
                owner_id=world.researcher.user_id,
            )
        )
    assert world.ctx.jobs is not None
    world.ctx.jobs.submit(job_id)
    done = wait_for(world, job_id)
    assert (done.status, done.error) == ("failed", "stimulus 987654 not found")


def test_prerender_fans_out_through_the_queue(world: CeleryWorld) -> None:
    first, second = demo_stimulus(world, 1), demo_stimulus(world, 2)
    with world.ctx.session() as session:
        study_of = {s: session.get_one(Stimulus, s).study_id for s in (first, second)}
    results = []
    for stimulus_id in (first, second):
        parent = prerender_study(
            world.ctx,
            actor=world.researcher,
            study_id=study_of[stimulus_id],
            param_sets=[fresh_params(), fresh_params(weight="count")],
        )
        results.append(parent.id)
    for parent_id in results:
        done = wait_for(world, parent_id)
        assert (done.status, done.progress) == ("done", 1.0), done.error
        with world.ctx.session() as session:
            row = session.get_one(Job, parent_id)
            children = [session.get_one(Job, i) for i in row.params["sub_jobs"]]
            assert len(children) == 2
            assert all(c.status == "done" for c in children)
            keys = [c.result_key for c in children]
        world.keys.extend(k for k in keys if k is not None)
        assert all(k is not None and world.ctx.cache.get(k) is not None for k in keys)
