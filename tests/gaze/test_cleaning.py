"""Cleaning: every dropped or repaired row is counted by reason."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.gaze import CleaningReport, Recording, ScreenGeometry, clean
from gazemap.gaze.cleaning import longest_nondecreasing, unwrap_negatives
from tests.gaze.realfiles import VALIDATION, WEBGAZER, validation_targets, webgazer_page

SCREEN = ScreenGeometry(width_px=100, height_px=50)


def _rec(t, x, y, valid=None, **kw) -> Recording:
    n = len(t)
    return Recording("samples", t, x, y, [True] * n if valid is None else valid, **kw)


def test_each_reason_is_counted_once_per_row() -> None:
    rec = _rec(
        t=[0, 10, 10, 5, 20, 30, 40, 50, 60, np.nan],
        x=[1, 2, 3, 4, 5, np.nan, 4294967288, 200, 7, 8],
        y=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        valid=[True, True, True, True, False, True, True, True, True, True],
        screen=SCREEN,
    )
    out = clean(rec)
    d = out.report.to_dict()
    assert d["dropped"] == {
        "backwards_timestamp": 1,
        "duplicate_timestamp": 1,
        "invalid_eye": 1,
        "nan": 1,
        "nan_timestamp": 1,
        "off_screen": 2,
    }
    assert d["repaired"] == {"wrapped_negative": 1}
    assert out.t.tolist() == [0.0, 10.0, 60.0]
    assert (d["rows_in"], d["rows_kept"], d["rows_dropped"]) == (10, 3, 7)


def test_wrapped_negatives_are_repaired_before_the_screen_check() -> None:
    rec = _rec([0, 1], [4294967288.0, 5.0], [4294967295.0, 4294967290.0], screen=SCREEN)
    out = clean(rec, margin_px=10)
    assert out.x.tolist() == [-8.0, 5.0]
    assert out.y.tolist() == [-1.0, -6.0]
    assert out.report.repaired["wrapped_negative"] == 2
    assert out.report.rows_dropped == 0


def test_unwrap_leaves_ordinary_and_fractional_values() -> None:
    values = np.array([-5.0, 0.0, 1e9, 2.0**31 + 0.5, 2.0**32, np.nan])
    out, mask = unwrap_negatives(values)
    assert not mask.any()
    np.testing.assert_array_equal(out, values)


def test_keep_invalid_flags_instead_of_dropping() -> None:
    rec = _rec(
        [0, 1, 2, 3], [1, np.nan, 500, 2], [1, 1, 1, 1], [True, True, True, False], screen=SCREEN
    )
    out = clean(rec, keep_invalid=True)
    assert len(out) == 4
    assert out.valid.tolist() == [True, False, False, False]
    assert out.report.repaired == {
        "flagged:nan": 1,
        "flagged:off_screen": 1,
        "flagged:invalid_eye": 1,
    }
    assert out.report.rows_dropped == 0


def test_sort_mode_reorders_and_counts_a_repair() -> None:
    rec = _rec([0, 20, 10, 30], [1, 2, 3, 4], [1, 1, 1, 1], screen=SCREEN)
    out = clean(rec, timestamps="sort")
    assert out.t.tolist() == [0, 10, 20, 30]
    assert out.x.tolist() == [1, 3, 2, 4]
    assert out.report.repaired["backwards_timestamp"] == 1


def test_unknown_screen_skips_the_screen_check_with_a_note() -> None:
    out = clean(_rec([0, 1], [-50, 1e6], [0, 0]))
    assert len(out) == 2
    assert "off-screen check skipped" in out.report.notes[0]


def test_fixations_with_bad_durations_are_dropped() -> None:
    rec = Recording("fixations", [0, 100, 200], [1, 2, 3], [1, 1, 1], [True] * 3,
                    duration=[50, 0, np.nan])  # fmt: skip
    out = clean(rec)
    assert len(out) == 1
    assert out.report.dropped["bad_duration"] == 2


def test_a_readers_report_is_continued_not_replaced() -> None:
    report = CleaningReport(rows_in=12, rows_kept=3)
    report.drop("non_gaze_row", 9)
    rec = _rec([0, 1, 1], [1, 1, 1], [1, 1, 1], screen=SCREEN, report=report)
    out = clean(rec)
    assert out.report.rows_in == 12
    assert out.report.rows_kept == 2
    assert out.report.dropped == {"non_gaze_row": 9, "duplicate_timestamp": 1}
    assert rec.report.dropped == {"non_gaze_row": 9}  # the input is not modified


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timestamps": "fix"}, "timestamps must be 'drop' or 'sort'"),
        ({"margin_px": -1}, "margin_px must be >= 0, got -1"),
    ],
)
def test_bad_options_are_named_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        clean(_rec([0], [1], [1]), **kwargs)


@given(st.lists(st.integers(0, 20), max_size=9))
def test_longest_nondecreasing_is_sorted_and_as_long_as_brute_force(values: list[int]) -> None:
    t = np.array(values, dtype=np.float64)
    keep = longest_nondecreasing(t)
    assert np.all(np.diff(keep) > 0)
    assert np.all(np.diff(t[keep]) >= 0)
    best = max(
        (
            r
            for r in range(len(values) + 1)
            for c in itertools.combinations(values, r)
            if list(c) == sorted(c)
        ),
        default=0,
    )
    assert keep.size == best


@given(
    st.lists(st.floats(-1e3, 1e4) | st.just(np.nan), min_size=1, max_size=40),
    st.lists(st.floats(-10, 200) | st.just(np.nan), min_size=1, max_size=40),
)
def test_counts_add_up_and_the_result_is_clean(ts: list[float], xs: list[float]) -> None:
    n = min(len(ts), len(xs))
    rec = _rec(ts[:n], xs[:n], [10.0] * n, screen=SCREEN)
    out = clean(rec)
    r = out.report
    assert r.rows_in - r.rows_kept == r.rows_dropped
    assert np.all(np.diff(out.t) > 0)
    assert np.all(np.isfinite(out.x))
    assert np.all((out.x >= 0) & (out.x <= 100))


def test_validation_targets_wrapped_negatives_are_repaired_then_dropped(real_data: Path) -> None:
    rec = validation_targets(
        real_data / VALIDATION / "results" / "187" / "eyelink_far_chinrest.csv"
    )
    assert (rec.y == 4294967288).any()
    out = clean(rec)
    d = out.report.to_dict()
    assert d["repaired"] == {"wrapped_negative": 19}
    # The wrapped values are small negatives just off the top or left edge: off screen.
    # Two targets were logged in the same wall-clock second.
    assert d["dropped"] == {"duplicate_timestamp": 1, "off_screen": 19}
    assert (d["rows_in"], d["rows_kept"]) == (72, 52)
    assert out.y.min() >= 0


def test_validation_targets_all_files(real_data: Path) -> None:
    files = sorted((real_data / VALIDATION / "results").glob("*/*.csv"))
    assert len(files) >= 141  # SOURCE.txt says 141 run files
    dropped: dict[str, int] = {}
    repaired = 0
    for f in files:
        for eye in ("Left", "Right"):
            rec = validation_targets(f, eye=eye)
            out = clean(rec).report
            repaired += out.repaired["wrapped_negative"]
            for k, v in out.dropped.items():
                dropped[k] = dropped.get(k, 0) + v
            # Every repaired value is a small negative: the row is off screen.
            x, wx = unwrap_negatives(rec.x)
            y, wy = unwrap_negatives(rec.y)
            on_screen = (x >= 0) & (x <= 1920) & (y >= 0) & (y <= 1080)
            assert not np.any((wx | wy) & on_screen)
    assert repaired == 956
    assert dropped["off_screen"] >= repaired
    assert set(dropped) == {"off_screen", "duplicate_timestamp"}


def test_webgazer_clock_restarts_drop_the_stale_block(real_data: Path) -> None:
    rec = webgazer_page(real_data / WEBGAZER / "analysis" / "user1" / "user1Pages" / "page10.csv")
    # 44 rows from an earlier page, then the clock restarts at 0 for 164 rows.
    assert rec.t[44] < rec.t[43]
    out = clean(rec, screen=ScreenGeometry(width_px=1920, height_px=1080))
    d = out.report.to_dict()
    assert d["dropped"]["backwards_timestamp"] == 44
    assert out.t[0] < 1.0  # the restarted clock
    assert d["rows_in"] == 208
    assert d["rows_kept"] + d["rows_dropped"] == 208


def test_webgazer_all_pages_off_screen_counted(real_data: Path) -> None:
    screen = ScreenGeometry(width_px=1920, height_px=1080)
    total = dropped_off = kept = 0
    for f in sorted((real_data / WEBGAZER / "analysis").glob("user*/user*Pages/page*.csv")):
        out = clean(webgazer_page(f), screen=screen)
        total += out.report.rows_in
        kept += out.report.rows_kept
        dropped_off += out.report.dropped["off_screen"]
        assert out.report.rows_in - out.report.rows_kept == out.report.rows_dropped
    assert total == 93491
    assert 0.05 < dropped_off / total < 0.15  # webcam noise: ~9% off screen
    assert kept < total


@given(
    st.lists(st.floats(-1e3, 1e4) | st.just(np.nan), min_size=1, max_size=40),
    st.lists(
        st.floats(-10, 200) | st.just(np.nan) | st.just(4294967290.0), min_size=1, max_size=40
    ),
)
def test_cleaning_twice_changes_nothing_more(ts: list[float], xs: list[float]) -> None:
    n = min(len(ts), len(xs))
    rec = _rec(ts[:n], xs[:n], [10.0] * n, screen=SCREEN)
    before = rec.x.copy()
    once = clean(rec)
    twice = clean(once)
    np.testing.assert_array_equal(rec.x, before)  # the input is not modified
    np.testing.assert_array_equal(twice.t, once.t)
    np.testing.assert_array_equal(twice.x, once.x)
    assert twice.report.to_dict() == once.report.to_dict()
