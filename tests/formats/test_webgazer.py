"""WebGazer predictions CSV: real noisy webcam data kept as is, grouping, bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError
from gazemap.formats import detect_format, read
from gazemap.formats.webgazer import read_webgazer, sniff


@pytest.fixture(scope="module")
def analysis(real_data: Path) -> Path:
    return real_data / "webgazer-search-results-pages" / "analysis"


def test_page_file_keeps_time_order_and_values(analysis: Path) -> None:
    (rec,) = read_webgazer(analysis / "user1" / "user1Pages" / "page1.csv")
    assert rec.participant == "user1"
    assert rec.stimulus == "page1"
    assert rec.device == "webcam (WebGazer)"
    assert len(rec) == 253
    # rows 2-3: 1245.300000011921,499.65…,499.99… then 0.10000002384185791,… (clock restarts)
    assert rec.t0 == pytest.approx(1245.300000011921)
    assert rec.t[1] == pytest.approx(0.10000002384185791 - 1245.300000011921)
    assert (rec.x[0], rec.y[0]) == pytest.approx((499.6548914199195, 499.9957129368934))
    # last row: 14121.400000035763,111.71209233895806,741.1921136393379
    assert rec.t[-1] == pytest.approx(14121.400000035763 - 1245.300000011921)
    assert (rec.x[-1], rec.y[-1]) == pytest.approx((111.71209233895806, 741.1921136393379))
    assert rec.valid.all()
    assert rec.report.rows_in == rec.report.rows_kept == 253


def test_off_screen_and_negative_predictions_are_preserved(analysis: Path) -> None:
    recs = [
        r
        for f in sorted((analysis / "user3" / "user3Pages").glob("*.csv"))
        for r in read_webgazer(f)
    ]
    assert len(recs) == 30
    x = np.concatenate([r.x for r in recs])
    y = np.concatenate([r.y for r in recs])
    assert x.min() == pytest.approx(-1793.1260439715013)
    assert x.max() == pytest.approx(2569.0755238255197)
    assert y.min() == pytest.approx(-4568.595750124712)
    assert y.max() == pytest.approx(4206.433536431336)
    assert all(r.valid.all() for r in recs)


def test_all_users_all_pages(analysis: Path) -> None:
    files = sorted(analysis.glob("user*/user*Pages/page*.csv"))
    assert len(files) == 150
    recs = [r for f in files for r in read_webgazer(f)]
    assert sum(len(r) for r in recs) == 93491
    assert {r.participant for r in recs} == {f"user{i}" for i in range(1, 6)}


def test_pandas_index_header_sample_file(real_data: Path) -> None:
    path = (
        real_data
        / "webgazer-search-results-pages"
        / "sampleSearchResultPage"
        / "DataAnalysis"
        / "testGazePoints.csv"
    )
    (rec,) = read_webgazer(path, participant="demo", screen_width=1280, screen_height=800)
    assert len(rec) == 889
    assert rec.participant == "demo"
    assert rec.stimulus == "testGazePoints"
    assert rec.t0 == pytest.approx(1301.6549999883864)
    assert rec.screen is not None
    assert rec.screen.width_px == 1280
    assert sniff(path.read_bytes()[:1000], path) == pytest.approx(0.4)


def test_nan_coordinates_are_invalid_and_rows_without_time_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Time,X Coordinate,Y Coordinate\n1,10,20\n2,NaN,20\n,5,5\n4,-30,9000\n")
    (rec,) = read_webgazer(path)
    assert len(rec) == 3
    assert list(rec.valid) == [True, False, True]
    assert rec.x[2] == -30
    assert rec.report.dropped["missing_time"] == 1
    assert rec.report.rows_in == 4


def test_participant_and_page_columns_split_the_file(tmp_path: Path) -> None:
    path = tmp_path / "all.csv"
    path.write_text(
        "user,page,time,x,y\n"
        "a,home,1,1,1\nb,home,2,2,2\na,home,3,3,3\na,search,4,4,4\nb,home,5,5,5\n"
    )
    recs = read_webgazer(path)
    assert [(r.participant, r.stimulus, len(r)) for r in recs] == [
        ("a", "home", 2),
        ("b", "home", 2),
        ("a", "search", 1),
    ]
    assert list(recs[1].x) == [2, 5]
    assert list(recs[1].t) == [0, 3]


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("", "empty file", 1),
        ("Time,X Coordinate,Y Coordinate\n", "expected prediction rows", 2),
        ("Time,X Coordinate,Y Coordinate\n1,2,3\n4,5", "expected 3 fields", 3),
        ("Time;X Coordinate;Y Coordinate\n1;2;3\n", "time, x and y", 1),
        ("Time,X Coordinate,Y Coordinate\n1,2,three\n", "expected a number", 2),
        (b"Time,X Coordinate,Y Coordinate\n1,2,3\n\x80\x81\x82\n", "binary", 3),
        ("Time,X Coordinate,Y Coordinate\n,2,3\n", "at least one row with a time", 2),
        ("user,time,x,y\na,1,2,3\nJosé,2,3,4\n".encode("cp1252"), "not valid utf-8", 3),
    ],
)
def test_malformed_files_raise_format_error_with_location(
    tmp_path: Path, content: str | bytes, message: str, line: int
) -> None:
    path = tmp_path / "page1.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(FormatError, match=message) as info:
        read_webgazer(path)
    assert info.value.line == line


coordinate = st.one_of(
    st.floats(min_value=-5000, max_value=5000, allow_nan=False), st.just(math.nan)
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.floats(min_value=-1e6, max_value=1e6), coordinate, coordinate),
        min_size=1,
        max_size=50,
    )
)
def test_generated_rows_round_trip(tmp_path: Path, rows: list[tuple[float, float, float]]) -> None:
    path = tmp_path / "page9.csv"
    path.write_text(
        "Time,X Coordinate,Y Coordinate\n" + "".join(f"{t!r},{x!r},{y!r}\n" for t, x, y in rows)
    )
    (rec,) = read_webgazer(path)
    t = np.array([r[0] for r in rows])
    x = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    np.testing.assert_array_equal(rec.t, t - t[0])
    np.testing.assert_array_equal(rec.x, x)
    np.testing.assert_array_equal(rec.y, y)
    np.testing.assert_array_equal(rec.valid, ~(np.isnan(x) | np.isnan(y)))
    assert rec.t0 == t[0]


def test_auto_detection_picks_the_webgazer_reader(analysis: Path, real_data: Path) -> None:
    for path in sorted(analysis.glob("user*/user*Pages/page1*.csv")):
        assert detect_format(path) == "webgazer"
    sample = real_data / "webgazer-search-results-pages" / "sampleSearchResultPage" / "DataAnalysis"
    assert detect_format(sample / "testGazePoints.csv") == "webgazer"
    (rec,) = read(analysis / "user2" / "user2Pages" / "page5.csv")
    assert (rec.participant, rec.stimulus) == ("user2", "page5")
