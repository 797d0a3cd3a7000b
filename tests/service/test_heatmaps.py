"""build_heatmap and estimate_cost end to end: database rows, real blobs, a real cache."""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gazemap.cache import RedisCache, TieredCache
from gazemap.demo import demo_stimuli
from gazemap.errors import (
    GroupTooSmallError,
    InvalidGridError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    StorageError,
)
from gazemap.formats import read
from gazemap.gaze import Recording, default_geometry, detect_fixations, weights_for, window
from gazemap.kde import Grid, degrees_to_px, density
from gazemap.service.actor import SYSTEM, Actor
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap, estimate_cost
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.store.models import Membership, User
from gazemap.store.models import Recording as RecordingRow
from gazemap.store.slices import Slice
from tests.service.fixtures import (
    add_participant,
    add_recording,
    add_stimulus,
    add_study,
    fixations,
    samples,
    service_settings,
)


def pooled(recs: list[Recording], *, weight: str = "duration") -> tuple[np.ndarray, np.ndarray]:
    """Points and weights of ``recs`` concatenated, the way a caller of kde.density would."""
    return (
        np.concatenate([r.points for r in recs]),
        np.concatenate([weights_for(r, weight=weight) for r in recs]),
    )


def level1(width: int = 800, height: int = 600) -> Grid:
    return Grid.for_stimulus(width, height, level=1)


def build(ctx: ServiceContext, stimulus_id: int, params: HeatmapParams, **kw: object):  # type: ignore[no-untyped-def]
    return build_heatmap(
        ctx,
        actor=kw.pop("actor", SYSTEM),  # type: ignore[arg-type]
        stimulus_id=stimulus_id,
        params=params,
        slice=kw.pop("slice", Slice()),  # type: ignore[arg-type]
        render=kw.pop("render", None),  # type: ignore[arg-type]
    )


@pytest.fixture
def populated(ctx: ServiceContext) -> tuple[int, int, list[Recording]]:
    """A study and stimulus with three participants' fixations; (study, stimulus, recordings)."""
    rng = np.random.default_rng(11)
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    recs = [fixations(rng, 25, centre=(200.0 + 200 * i, 300.0)) for i in range(3)]
    for i, rec in enumerate(recs):
        person = add_participant(ctx, study, gender="fm"[i % 2], age=20 + 10 * i)
        add_recording(ctx, stimulus, person, rec, device="tracker" if i else "webcam")
    return study, stimulus, recs


def test_demo_osie_fixations_give_exactly_kde_density(ctx: ServiceContext) -> None:
    study = add_study(ctx)
    for demo in demo_stimuli():
        stimulus = add_stimulus(
            ctx,
            study,
            width=demo.width,
            height=demo.height,
            image=demo.image_path.read_bytes(),
        )
        recs = read(demo.fixations_csv_path)
        for rec in recs:
            add_recording(ctx, stimulus, add_participant(ctx, study), rec)
        params = HeatmapParams(bandwidth=25)
        result = build(ctx, stimulus, params, render=RenderOptions())
        points, weights = pooled(recs)
        grid = level1(demo.width, demo.height)
        np.testing.assert_array_equal(
            result.density, density(points, grid=grid, bandwidth=25.0, weights=weights)
        )
        assert result.meta["points"] == demo.n_fixations
        assert result.meta["participants"] == demo.n_participants
        assert result.meta["bandwidth"] == [25.0, 25.0]
        assert result.png is not None
        with Image.open(io.BytesIO(result.png)) as picture:
            assert picture.size == (demo.width, demo.height)
            assert picture.mode == "RGB"  # composited over the JPEG


def osie_recordings(real_data: Path, image: str) -> list[Recording]:
    """Every subject's fixations on one OSIE image, read from the raw MATLAB file."""
    from scipy.io import loadmat

    mat = loadmat(
        real_data / "osie-natural-images" / "eye" / "fixations.mat",
        squeeze_me=True,
        struct_as_record=False,
    )["fixations"]
    entry = next(e for e in mat if e.img == image)
    recs = []
    for subject in entry.subjects:
        x = np.atleast_1d(subject.fix_x).astype(float) - 1.0  # MATLAB is 1-based
        y = np.atleast_1d(subject.fix_y).astype(float) - 1.0
        d = np.atleast_1d(subject.fix_duration).astype(float)
        t = np.concatenate(([0.0], np.cumsum(d)[:-1]))
        recs.append(Recording("fixations", t, x, y, np.ones(x.size, bool), duration=d))
    return recs


def test_raw_osie_fixations_participant_normalised(
    sqlite_ctx: ServiceContext, real_data: Path
) -> None:
    ctx = sqlite_ctx
    study = add_study(ctx)
    for image in ("1001.jpg", "1002.jpg"):
        picture = (real_data / "osie-natural-images" / "stimuli" / image).read_bytes()
        stimulus = add_stimulus(ctx, study, image=picture)
        recs = osie_recordings(real_data, image)
        for rec in recs:
            add_recording(ctx, stimulus, add_participant(ctx, study), rec)
        params = HeatmapParams(bandwidth=30, normalize="participant")
        result = build(ctx, stimulus, params)
        points, _ = pooled(recs)
        weights = np.concatenate(
            [r.duration / (len(recs) * r.duration.sum()) for r in recs if r.duration is not None]
        )
        expected = density(points, grid=level1(), bandwidth=30.0, weights=weights)
        np.testing.assert_allclose(result.density, expected, rtol=1e-12, atol=1e-20)
        assert result.meta["participants"] == 15


def test_second_call_is_a_cache_hit_with_the_same_etag(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    _, stimulus, _ = populated
    first = build(ctx, stimulus, HeatmapParams(kernel="quartic", bandwidth=40.0))
    # the same request written differently: alias, string number, defaults spelled out
    second = build(
        ctx,
        stimulus,
        HeatmapParams(kernel="biweight", bandwidth="40", level=1, normalize="pooled"),
    )
    assert (first.cache, second.cache) == ("miss", "hit-memory")
    assert first.etag == second.etag
    np.testing.assert_array_equal(first.density, second.density)
    assert second.meta["points"] == 75


def test_recolouring_reuses_the_density(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    _, stimulus, _ = populated
    params = HeatmapParams(bandwidth=30)
    hot = build(ctx, stimulus, params, render=RenderOptions(colormap="inferno"))
    cool = build(ctx, stimulus, params, render=RenderOptions(colormap="viridis"))
    assert hot.meta["cache"] == {"density": "miss", "image": "miss"}
    assert cool.meta["cache"] == {"density": "hit-memory", "image": "miss"}
    assert hot.png != cool.png
    assert hot.etag != cool.etag
    again = build(ctx, stimulus, params, render=RenderOptions(colormap="viridis"))
    assert again.cache == "hit-memory"
    assert again.png == cool.png
    assert again.meta["scale"] == pytest.approx(float(cool.density.max()))


def test_transparent_png_without_overlay(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    _, stimulus, _ = populated
    result = build(ctx, stimulus, HeatmapParams(), render=RenderOptions(overlay=False))
    assert result.png is not None
    with Image.open(io.BytesIO(result.png)) as picture:
        assert (picture.size, picture.mode) == ((800, 600), "RGBA")
        assert picture.getextrema()[3][0] == 0  # somewhere fully transparent


def test_new_recording_bumps_data_version_and_changes_the_map(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    study, stimulus, recs = populated
    params = HeatmapParams(bandwidth=30)
    before = build(ctx, stimulus, params)
    extra = fixations(np.random.default_rng(5), 40, centre=(700.0, 100.0))
    add_recording(ctx, stimulus, add_participant(ctx, study), extra)
    after = build(ctx, stimulus, params)
    assert after.cache == "miss"
    assert after.meta["data_version"] == before.meta["data_version"] + 1
    assert after.meta["points"] == before.meta["points"] + 40
    points, weights = pooled([*recs, extra])
    np.testing.assert_array_equal(
        after.density, density(points, grid=level1(), bandwidth=30.0, weights=weights)
    )


def test_slices_choose_participants(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    _, stimulus, recs = populated
    params = HeatmapParams(bandwidth=30, weight="count")
    cases = {
        Slice(gender=["f"]): [recs[0], recs[2]],
        Slice(age_min=25): [recs[1], recs[2]],
        Slice(device=["webcam"]): [recs[0]],
    }
    for chosen, expected in cases.items():
        result = build(ctx, stimulus, params, slice=chosen)
        assert result.meta["participants"] == len(expected)
        assert result.meta["slice"] == chosen.canonical()
        points, weights = pooled(expected, weight="count")
        np.testing.assert_array_equal(
            result.density, density(points, grid=level1(), bandwidth=30.0, weights=weights)
        )


def test_participant_normalisation_gives_everyone_equal_mass(ctx: ServiceContext) -> None:
    rng = np.random.default_rng(3)
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    few = fixations(rng, 4, centre=(200.0, 300.0), spread=20.0)
    many = fixations(rng, 400, centre=(600.0, 300.0), spread=20.0)
    add_recording(ctx, stimulus, add_participant(ctx, study), few)
    add_recording(ctx, stimulus, add_participant(ctx, study), many)
    grid = level1()
    left = slice(None), slice(0, grid.cols // 2)
    right = slice(None), slice(grid.cols // 2, None)

    def halves(normalize: str) -> tuple[float, float]:
        d = build(ctx, stimulus, HeatmapParams(bandwidth=20, normalize=normalize)).density
        return float(d[left].sum() * grid.cell_area), float(d[right].sum() * grid.cell_area)

    pooled_left, pooled_right = halves("pooled")
    fair_left, fair_right = halves("participant")
    assert pooled_left < 0.05
    assert pooled_right > 0.9
    assert fair_left == pytest.approx(0.5, abs=0.01)
    assert fair_right == pytest.approx(0.5, abs=0.01)


def test_time_window_clips_fixations(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    _, stimulus, recs = populated
    params = HeatmapParams(bandwidth=30, t_from=1000, t_to=3000)
    result = build(ctx, stimulus, params)
    cut = [window(r, t_from=1000, t_to=3000) for r in recs]
    points, weights = pooled(cut)
    assert 0 < result.meta["points"] == len(points) < sum(len(r) for r in recs)
    np.testing.assert_array_equal(
        result.density, density(points, grid=level1(), bandwidth=30.0, weights=weights)
    )


def test_sample_recordings_detect_fixations_once(ctx: ServiceContext) -> None:
    rng = np.random.default_rng(8)
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    recs = [samples(rng, 2500) for _ in range(2)]
    for rec in recs:
        add_recording(ctx, stimulus, add_participant(ctx, study), rec)
    result = build(ctx, stimulus, HeatmapParams(bandwidth=30, points="fixations"))
    found = [detect_fixations(r, method="ivt") for r in recs]
    points, weights = pooled(found)
    assert result.meta["points"] == len(points) > 10
    np.testing.assert_array_equal(
        result.density, density(points, grid=level1(), bandwidth=30.0, weights=weights)
    )
    arrays = ctx.arrays
    assert sum(1 for key in arrays._entries if key[0] == "fixations") == 2
    raw = build(ctx, stimulus, HeatmapParams(bandwidth=30, points="samples"))
    assert raw.meta["points"] == 5000


def test_degree_bandwidth_uses_study_then_recording_then_default_geometry(
    ctx: ServiceContext,
) -> None:
    rng = np.random.default_rng(4)
    params = HeatmapParams(bandwidth=1.5, bandwidth_unit="deg")
    screen = {"screen_width_px": 1280, "screen_width_mm": 340.0, "viewing_distance_mm": 700.0}
    recording_screen = {"screen_width_px": 1920, "screen_width_mm": 600.0}
    recording_screen["viewing_distance_mm"] = 550.0
    cases = [
        (screen, {}, "study", (1280, 340.0, 700.0)),
        ({}, recording_screen, "recordings", (1920, 600.0, 550.0)),
        ({}, {}, "default", None),
    ]
    for study_fields, row_fields, source, geometry in cases:
        study = add_study(ctx, **study_fields)
        stimulus = add_stimulus(ctx, study)
        rec = fixations(rng, 10)
        add_recording(ctx, stimulus, add_participant(ctx, study), rec, **row_fields)
        result = build(ctx, stimulus, params)
        if geometry is None:
            g = default_geometry(None)
            geometry = (g.width_px, g.width_mm, g.distance_mm)
        px = degrees_to_px(
            1.5, screen_width_px=geometry[0], screen_width_mm=geometry[1], distance_mm=geometry[2]
        )
        assert result.meta["geometry"]["source"] == source
        assert result.meta["bandwidth"] == [pytest.approx(px)] * 2
        points, weights = pooled([rec])
        np.testing.assert_array_equal(
            result.density, density(points, grid=level1(), bandwidth=px, weights=weights)
        )


def test_bandwidth_rule_is_resolved_on_the_points(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    from gazemap.kde import resolve_bandwidth

    _, stimulus, recs = populated
    result = build(ctx, stimulus, HeatmapParams(bandwidth="scott", level=2))
    points, weights = pooled(recs)
    bx, by = resolve_bandwidth(points, "scott", weights=weights)
    assert result.meta["bandwidth"] == [bx, by]
    grid = Grid.for_stimulus(800, 600, level=2)
    np.testing.assert_array_equal(
        result.density, density(points, grid=grid, bandwidth="scott", weights=weights)
    )


def test_no_recordings_give_an_all_zero_map(ctx: ServiceContext) -> None:
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study, width=300, height=200)
    result = build(ctx, stimulus, HeatmapParams(level=0), render=RenderOptions())
    assert result.density.shape == (200, 300)
    assert not result.density.any()
    assert result.meta["points"] == result.meta["participants"] == 0
    assert result.meta["method"] is None
    assert result.png is not None


def test_more_points_than_the_limit_are_refused(tmp_path: Path, sqlite_database: str) -> None:
    settings = service_settings(tmp_path, sqlite_database, kde={"max_points": 50})
    ctx = ServiceContext.from_settings(settings)
    try:
        study = add_study(ctx)
        stimulus = add_stimulus(ctx, study)
        for _ in range(2):
            rec = fixations(np.random.default_rng(1), 30)
            add_recording(ctx, stimulus, add_participant(ctx, study), rec)
        with pytest.raises(PayloadTooLargeError, match=r"60 points, more than kde\.max_points=50"):
            build(ctx, stimulus, HeatmapParams())
        assert build(ctx, stimulus, HeatmapParams(t_to=2000)).meta["points"] <= 50
    finally:
        ctx.close()


def test_grid_over_the_cell_limit_is_refused_before_any_work(
    tmp_path: Path, sqlite_database: str
) -> None:
    settings = service_settings(tmp_path, sqlite_database, kde={"max_cells": 10_000})
    ctx = ServiceContext.from_settings(settings)
    try:
        study = add_study(ctx)
        stimulus = add_stimulus(ctx, study)
        with pytest.raises(InvalidGridError, match="max_cells=10000"):
            build(ctx, stimulus, HeatmapParams(level=1))
        with pytest.raises(InvalidGridError):
            estimate_cost(
                ctx, actor=SYSTEM, stimulus_id=stimulus, params=HeatmapParams(), slice=Slice()
            )
        assert build(ctx, stimulus, HeatmapParams(level=3)).density.shape == (75, 100)
    finally:
        ctx.close()


def test_unknown_stimulus_is_not_found(ctx: ServiceContext) -> None:
    with pytest.raises(NotFoundError, match="stimulus 987654 not found"):
        build(ctx, 987654, HeatmapParams())


def test_policy_applies_to_viewers(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    study, stimulus, _ = populated
    with ctx.session() as session:
        user = User(username=f"viewer-{secrets.token_hex(4)}", password_hash="x", role="viewer")
        outsider = User(username=f"out-{secrets.token_hex(4)}", password_hash="x", role="viewer")
        session.add_all([user, outsider])
        session.flush()
        session.add(Membership(user_id=user.id, study_id=study, role="viewer"))
        viewer = Actor(user.id, user.username, "viewer")
        stranger = Actor(outsider.id, outsider.username, "viewer")
    with pytest.raises(NotFoundError):
        build(ctx, stimulus, HeatmapParams(), actor=stranger)
    with pytest.raises(PermissionDeniedError, match="gender"):
        build(ctx, stimulus, HeatmapParams(), actor=viewer, slice=Slice(gender=["f"]))
    # three participants, below the default minimum group size of five
    with pytest.raises(GroupTooSmallError):
        build(ctx, stimulus, HeatmapParams(), actor=viewer)
    for _ in range(2):
        rec = fixations(np.random.default_rng(9), 5)
        add_recording(ctx, stimulus, add_participant(ctx, study), rec)
    assert build(ctx, stimulus, HeatmapParams(), actor=viewer).meta["participants"] == 5


def test_concurrent_identical_misses_compute_once(
    ctx: ServiceContext,
    populated: tuple[int, int, list[Recording]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gazemap.service import density as core

    _, stimulus, _ = populated
    params = HeatmapParams(bandwidth=35)
    calls: list[int] = []
    real = core.compute_density

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(core, "compute_density", counted)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        outcomes.append(build(ctx, stimulus, params).cache)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert outcomes.count("miss") == 1
    assert set(outcomes) - {"miss"} <= {"hit-memory", "shared"}


class NoReads:
    """A blob store that fails the test on any use."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the blob store was used ({name})")


def test_other_slices_and_bandwidths_reuse_the_decoded_arrays(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    _, stimulus, recs = populated
    build(ctx, stimulus, HeatmapParams(bandwidth=30))
    blobs, ctx.blobs = ctx.blobs, NoReads()  # type: ignore[assignment]
    try:
        narrower = build(ctx, stimulus, HeatmapParams(bandwidth=50), slice=Slice(gender=["m"]))
    finally:
        ctx.blobs = blobs
    assert narrower.cache == "miss"
    points, weights = pooled([recs[1]])
    np.testing.assert_array_equal(
        narrower.density, density(points, grid=level1(), bandwidth=50.0, weights=weights)
    )


def test_estimate_cost_reads_no_blob_and_grows_with_points(
    ctx: ServiceContext, populated: tuple[int, int, list[Recording]]
) -> None:
    study, stimulus, _ = populated

    def cost(params: HeatmapParams) -> float:
        return estimate_cost(ctx, actor=SYSTEM, stimulus_id=stimulus, params=params, slice=Slice())

    small = cost(HeatmapParams(method="exact"))
    rule = cost(HeatmapParams(method="exact", bandwidth="silverman"))
    for _ in range(3):
        big = samples(np.random.default_rng(2), 20_000)
        add_recording(ctx, stimulus, add_participant(ctx, study), big)

    blobs, ctx.blobs = ctx.blobs, NoReads()  # type: ignore[assignment]
    try:
        large = cost(HeatmapParams(method="exact"))
    finally:
        ctx.blobs = blobs
    assert 0 < small < large
    assert rule == pytest.approx(small)  # a rule is costed at the default 40 px


@pytest.fixture
def redis_ctx(
    tmp_path: Path, sqlite_database: str, redis_url: str
) -> Iterator[tuple[ServiceContext, RedisCache]]:
    """A context whose only cache tier is Redis, under a private key prefix."""
    prefix = f"gazemap-test-{secrets.token_hex(6)}:"
    ctx = ServiceContext.from_settings(service_settings(tmp_path, sqlite_database))
    tier = RedisCache(redis_url, ttl_seconds=60, prefix=prefix)
    ctx.cache = TieredCache([tier])
    yield ctx, tier
    for key in tier.client.scan_iter(match=f"{prefix}*"):
        tier.client.delete(key)
    ctx.close()


@pytest.mark.redis
def test_redis_cache_serves_another_process_the_same_map(
    redis_ctx: tuple[ServiceContext, RedisCache],
) -> None:
    ctx, tier = redis_ctx
    rng = np.random.default_rng(6)
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    recs = [fixations(rng, 30) for _ in range(2)]
    for rec in recs:
        add_recording(ctx, stimulus, add_participant(ctx, study), rec)
    params = HeatmapParams(bandwidth=30)
    first = build(ctx, stimulus, params, render=RenderOptions())
    # another process: its own context and array cache, the same Redis
    other = ServiceContext(ctx.settings, ctx.engine, ctx.sessions, ctx.blobs, TieredCache([tier]))
    second = build(other, stimulus, params, render=RenderOptions())
    assert first.meta["cache"] == {"density": "miss", "image": "miss"}
    # the picture's entry carries the density's metadata: the grid is not read...
    assert second.meta["cache"] == {"density": "deferred", "image": "hit-redis"}
    assert second.png == first.png
    assert second.etag == first.etag
    for name in ("participants", "recordings", "points", "bandwidth", "grid", "contributors"):
        assert second.meta[name] == first.meta[name]
    assert second.meta["scale"] == first.meta["scale"]
    assert second.meta["render"] == first.meta["render"]
    # ...until it is used: then it comes from Redis, exactly the computed one
    points, weights = pooled(recs)
    np.testing.assert_array_equal(
        second.density, density(points, grid=level1(), bandwidth=30.0, weights=weights)
    )
    assert tier.stats.snapshot().hits == 2  # the picture, then the density


def test_a_missing_gaze_blob_is_a_storage_error(sqlite_ctx: ServiceContext) -> None:
    ctx = sqlite_ctx
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    rec = fixations(np.random.default_rng(1), 10)
    recording = add_recording(ctx, stimulus, add_participant(ctx, study), rec)
    with ctx.session() as session:
        key = session.get(RecordingRow, recording).gaze_key  # type: ignore[union-attr]
    ctx.blobs.delete(key)
    with pytest.raises(StorageError, match=f"gaze data of recording {recording} .* missing"):
        build(ctx, stimulus, HeatmapParams())
