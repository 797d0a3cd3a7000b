"""build_heatmap answers a cached density before any cost estimate or group-size count."""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from gazemap.errors import GroupTooSmallError, NotFoundError, PermissionDeniedError, TooCostlyError
from gazemap.service import heatmaps
from gazemap.service.actor import SYSTEM, Actor
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.params import HeatmapParams
from gazemap.store.models import AuditEvent, Membership, User
from gazemap.store.slices import Slice
from tests.service.fixtures import (
    add_participant,
    add_recording,
    add_stimulus,
    add_study,
    fixations,
)


def _setup(ctx: ServiceContext, *, people: int, k: int) -> tuple[int, Actor]:
    rng = np.random.default_rng(5)
    study = add_study(ctx, min_group_size=k)
    stimulus = add_stimulus(ctx, study)
    for i in range(people):
        add_recording(
            ctx, stimulus, add_participant(ctx, study), fixations(rng, 10, centre=(100.0 * i, 200))
        )
    with ctx.session() as session:
        user = User(username=f"viewer-{secrets.token_hex(4)}", password_hash="x", role="viewer")
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, study_id=study, role="viewer"))
        viewer = Actor(user.id, user.username, "viewer")
    return stimulus, viewer


class _Counter:
    def __init__(self, real: object) -> None:
        self.real, self.calls = real, 0

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.real(*args, **kwargs)  # type: ignore[operator]


def _count_work(monkeypatch: pytest.MonkeyPatch) -> tuple[_Counter, _Counter]:
    cost = _Counter(heatmaps._cost)
    count = _Counter(heatmaps.count_participants)
    monkeypatch.setattr(heatmaps, "_cost", cost)
    monkeypatch.setattr(heatmaps, "count_participants", count)
    return cost, count


def test_a_cache_hit_performs_no_cost_estimate_and_no_count(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    stimulus, viewer = _setup(ctx, people=3, k=2)
    cost, count = _count_work(monkeypatch)
    kwargs = {"stimulus_id": stimulus, "params": HeatmapParams(), "slice": Slice()}
    first = build_heatmap(ctx, actor=viewer, max_cost=1e18, **kwargs)  # type: ignore[arg-type]
    assert (first.cache, cost.calls, count.calls) == ("miss", 1, 1)
    again = build_heatmap(ctx, actor=viewer, max_cost=1e18, **kwargs)  # type: ignore[arg-type]
    assert again.cache.startswith("hit-")
    assert (cost.calls, count.calls) == (1, 1)
    np.testing.assert_array_equal(again.density, first.density)
    assert ctx.audit is not None
    ctx.audit.flush()  # reads' entries are journalled, inserted in batches
    with ctx.session() as session:
        oks = (
            session.query(AuditEvent)
            .filter_by(action="heatmap.view", outcome="ok", target=f"stimulus:{stimulus}")
            .count()
        )
    assert oks == 2  # the hit is audited like the miss


def test_a_cache_hit_still_refuses_a_viewer_below_k(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    stimulus, viewer = _setup(ctx, people=3, k=4)
    kwargs = {"stimulus_id": stimulus, "params": HeatmapParams(), "slice": Slice()}
    assert build_heatmap(ctx, actor=SYSTEM, **kwargs).meta["contributors"] == 3  # type: ignore[arg-type]
    _, count = _count_work(monkeypatch)
    with pytest.raises(GroupTooSmallError, match="fewer than 4 participants") as refused:
        build_heatmap(ctx, actor=viewer, **kwargs)  # type: ignore[arg-type]
    assert "covers 3" not in str(refused.value)
    assert count.calls == 0  # refused on the cached density's contributors
    with ctx.session() as session:
        denied = session.query(AuditEvent).filter_by(
            action="heatmap.view", outcome="denied", target=f"stimulus:{stimulus}"
        )
        assert denied.count() == 1


def test_a_miss_over_max_cost_computes_nothing(ctx: ServiceContext) -> None:
    stimulus, viewer = _setup(ctx, people=3, k=2)
    kwargs = {"stimulus_id": stimulus, "params": HeatmapParams(), "slice": Slice()}
    with pytest.raises(TooCostlyError, match="max_cost") as info:
        build_heatmap(ctx, actor=viewer, max_cost=0.0, **kwargs)  # type: ignore[arg-type]
    assert info.value.cost > 0
    assert build_heatmap(ctx, actor=viewer, **kwargs).cache == "miss"  # type: ignore[arg-type]
    # once cached, any bound is met
    assert build_heatmap(ctx, actor=viewer, max_cost=0.0, **kwargs).cache.startswith("hit-")  # type: ignore[arg-type]


def test_a_miss_below_k_is_refused_before_costing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    stimulus, viewer = _setup(ctx, people=2, k=3)
    cost, _ = _count_work(monkeypatch)
    with pytest.raises(GroupTooSmallError, match="fewer than 3 participants"):
        build_heatmap(
            ctx,
            actor=viewer,
            stimulus_id=stimulus,
            params=HeatmapParams(),
            slice=Slice(),
            max_cost=0.0,
        )
    assert cost.calls == 0


def test_access_rules_hold_on_a_cached_density(ctx: ServiceContext) -> None:
    stimulus, viewer = _setup(ctx, people=3, k=2)
    build_heatmap(ctx, actor=SYSTEM, stimulus_id=stimulus, params=HeatmapParams(), slice=Slice())
    build_heatmap(
        ctx, actor=SYSTEM, stimulus_id=stimulus, params=HeatmapParams(), slice=Slice(gender=["f"])
    )
    with ctx.session() as session:
        user = User(username=f"out-{secrets.token_hex(4)}", password_hash="x", role="researcher")
        session.add(user)
        session.flush()
        stranger = Actor(user.id, user.username, "researcher")
    with pytest.raises(NotFoundError, match=f"stimulus {stimulus} not found"):
        build_heatmap(
            ctx, actor=stranger, stimulus_id=stimulus, params=HeatmapParams(), slice=Slice()
        )
    with pytest.raises(PermissionDeniedError, match="viewers may not filter by gender"):
        build_heatmap(
            ctx,
            actor=viewer,
            stimulus_id=stimulus,
            params=HeatmapParams(),
            slice=Slice(gender=["f"]),
        )
