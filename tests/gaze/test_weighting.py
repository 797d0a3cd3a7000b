"""Weights per point and time windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording, weights_for, window


def _fix(t, d, valid=None) -> Recording:
    n = len(t)
    return Recording("fixations", t, np.arange(n, dtype=float), np.zeros(n),
                     [True] * n if valid is None else valid, duration=d)  # fmt: skip


def test_weights_line_up_with_the_valid_points() -> None:
    rec = _fix([0, 100, 200], [90, 80, 70], valid=[True, False, True])
    assert weights_for(rec, weight="count").tolist() == [1.0, 1.0]
    assert weights_for(rec, weight="duration").tolist() == [90.0, 70.0]
    assert len(rec.points) == 2


def test_sample_duration_weights_are_capped_at_gaps() -> None:
    rec = Recording("samples", [0, 4, 8, 12, 500, 504], np.zeros(6), np.zeros(6), [True] * 6)
    assert weights_for(rec, weight="duration").tolist() == [4.0, 4.0, 4.0, 8.0, 4.0, 4.0]


def test_unknown_weight_is_a_named_error() -> None:
    with pytest.raises(InvalidInputError, match="weight must be 'count' or 'duration', got 'time'"):
        weights_for(_fix([0], [1]), weight="time")


def test_window_selects_samples_by_time() -> None:
    rec = Recording("samples", np.arange(10.0) * 10, np.zeros(10), np.zeros(10), [True] * 10)
    assert window(rec, t_from=20, t_to=50).t.tolist() == [20.0, 30.0, 40.0]
    assert len(window(rec)) == 10


def test_window_clips_overlapping_fixations() -> None:
    rec = _fix([0, 300, 600, 900], [250, 250, 250, 250])
    out = window(rec, t_from=100, t_to=700)
    assert out.t.tolist() == [100.0, 300.0, 600.0]
    assert out.duration is not None
    assert out.duration.tolist() == [150.0, 250.0, 100.0]


def test_window_bounds_must_be_ordered() -> None:
    with pytest.raises(InvalidInputError, match="t_from <= t_to"):
        window(_fix([0], [1]), t_from=10, t_to=5)


@given(
    starts=st.lists(st.integers(0, 10_000), min_size=1, max_size=20, unique=True),
    cut=st.integers(0, 12_000),
)
def test_adjacent_windows_split_durations_without_loss(starts: list[int], cut: int) -> None:
    t = np.sort(np.array(starts, dtype=float))
    d = np.full(t.size, 150.0)
    rec = _fix(t, d)
    left, right = window(rec, t_to=cut), window(rec, t_from=cut)
    assert left.duration is not None
    assert right.duration is not None
    assert left.duration.sum() + right.duration.sum() == pytest.approx(d.sum())
