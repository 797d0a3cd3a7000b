"""The generic CSV/TSV/JSON reader: specification, options, round trips, malformed files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import read
from gazemap.formats.generic import read_generic
from tests.formats.strategies import Frame, Layout, frames, layouts, write_frame


def write(tmp_path: Path, text: str, name: str = "gaze.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- the specification -------------------------------------------------------------------


def test_minimal_csv_is_one_samples_recording(tmp_path: Path) -> None:
    path = write(tmp_path, "t,x,y\n100,10.5,20\n104,11,21.25\n108,,22\n")
    [rec] = read(path)
    assert rec.kind == "samples"
    assert rec.t0 == 100.0
    np.testing.assert_array_equal(rec.t, [0, 4, 8])
    np.testing.assert_array_equal(rec.x, [10.5, 11, np.nan])
    np.testing.assert_array_equal(rec.y, [20, 21.25, 22])
    np.testing.assert_array_equal(rec.valid, [True, True, False])
    assert rec.duration is None
    assert rec.participant is None
    assert rec.stimulus is None
    assert rec.report.rows_in == 3
    assert rec.report.rows_kept == 3


def test_duration_column_makes_a_fixation_list(tmp_path: Path) -> None:
    path = write(tmp_path, "t,x,y,duration\n0,1,2,250\n300,3,4,120\n")
    [rec] = read(path)
    assert rec.kind == "fixations"
    np.testing.assert_array_equal(rec.duration, [250, 120])


def test_participant_and_stimulus_split_in_order_of_first_appearance(tmp_path: Path) -> None:
    text = (
        "t,x,y,participant,stimulus\n"
        "10,1,1,p2,a\n20,2,2,p1,a\n30,3,3,p2,a\n40,4,4,p2,b\n50,5,5,p1,a\n"
    )
    recs = read(write(tmp_path, text))
    assert [(r.participant, r.stimulus) for r in recs] == [("p2", "a"), ("p1", "a"), ("p2", "b")]
    assert [r.t0 for r in recs] == [10, 20, 40]
    np.testing.assert_array_equal(recs[0].t, [0, 20])
    np.testing.assert_array_equal(recs[1].x, [2, 5])


def test_attribute_columns_follow_the_constant_rule(tmp_path: Path) -> None:
    text = (
        "t,x,y,participant,gender,age,device,group,pupil\n"
        "0,1,1,p1,f,31,Tobii X2,A,3.1\n"
        "4,1,1,p1,f,31,Tobii X2,A,3.2\n"
        "0,1,1,p2,m,40.5,webcam,B,2.0\n"
    )
    first, second = read(write(tmp_path, text))
    assert first.attributes == {"gender": "f", "age": 31, "group": "A"}
    assert first.device == "Tobii X2"
    np.testing.assert_array_equal(first.extra["pupil"], [3.1, 3.2])
    assert second.attributes == {"gender": "m", "age": 40.5, "group": "B", "pupil": 2}
    assert second.device == "webcam"
    assert "pupil" not in second.extra


def test_gender_changing_within_a_recording_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = "t,x,y,participant,gender\n0,1,1,p1,f\n\n4,1,1,p1,m\n"
    with pytest.raises(FormatError) as info:
        read(write(tmp_path, text))
    assert info.value.line == 4
    assert info.value.column == "gender"


def test_demographics_on_the_first_row_only_are_enough(tmp_path: Path) -> None:
    text = "t,x,y,participant,gender,age\n0,1,1,p1,f,31\n4,1,1,p1,,\n8,1,1,p1,,\n"
    [rec] = read(write(tmp_path, text))
    assert rec.attributes == {"gender": "f", "age": 31}


def test_non_numeric_age_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="age must be a number") as info:
        read(write(tmp_path, "t,x,y,participant,age\n0,1,1,p1,31\n0,1,1,p2,old\n"))
    assert info.value.line == 3


def test_valid_ages_never_reread_the_file_for_a_line_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # finding a row's line rereads the file; doing it per recording made a 100-person
    # file take half a minute
    import gazemap.formats.generic_csv as generic_csv

    calls: list[int] = []
    real = generic_csv.line_of_row

    def counting(*args: object, **kwargs: object) -> int | None:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generic_csv, "line_of_row", counting)
    rows = "".join(f"0,1,1,p{i},{20 + i}\n4,2,2,p{i},{20 + i}\n" for i in range(30))
    recordings = read(write(tmp_path, "t,x,y,participant,age\n" + rows))
    assert [r.attributes["age"] for r in recordings] == [20 + i for i in range(30)]
    assert calls == []


def test_valid_column_and_missing_values(tmp_path: Path) -> None:
    path = write(tmp_path, "t,x,y,valid\n0,1,1,1\n1,1,1,0\n2,1,1,true\n3,NaN,1,1\n")
    [rec] = read(path)
    np.testing.assert_array_equal(rec.valid, [True, False, True, False])


def test_column_mapping_and_case_insensitive_names(tmp_path: Path) -> None:
    path = write(tmp_path, "Time;GazeX;Y;Participant\n1;5;6;a\n")
    [rec] = read(path, columns={"t": "Time", "x": "GazeX"})
    assert rec.x[0] == 5
    assert rec.y[0] == 6
    assert rec.participant == "a"


def test_normalised_units_bottom_left_origin_and_seconds(tmp_path: Path) -> None:
    path = write(tmp_path, "t\tx\ty\n1.5\t0.25\t0.25\n1.504\t1\t0\n")
    [rec] = read(
        path, units="normalized", width=1920, height=1080, origin="bottom-left", time_unit="s"
    )
    np.testing.assert_allclose(rec.x, [480, 1920])
    np.testing.assert_allclose(rec.y, [810, 1080])
    np.testing.assert_allclose(rec.t, [0, 4])
    assert rec.t0 == 1500
    assert rec.screen is not None
    assert (rec.screen.width_px, rec.screen.height_px) == (1920, 1080)


def test_microseconds_scale_time_and_duration(tmp_path: Path) -> None:
    [rec] = read(write(tmp_path, "t,x,y,duration\n1000,0,0,250000\n"), time_unit="us")
    assert rec.t0 == 1.0
    assert rec.duration is not None
    assert rec.duration[0] == 250.0


def test_decimal_comma_with_semicolons(tmp_path: Path) -> None:
    [rec] = read(write(tmp_path, "t;x;y\n0;1,5;2,25\n"), decimal=",")
    assert (rec.x[0], rec.y[0]) == (1.5, 2.25)


def test_gzip_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "gaze.csv.gz"
    path.write_bytes(gzip.compress("\ufefft,x,y\n0,1,2\n".encode()))
    [rec] = read(path)
    assert rec.x[0] == 1


def test_declared_encoding_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "t,x,y,stimulus\n0,1,2,Café\n", encoding="cp1252")
    [rec] = read(path, encoding="cp1252")
    assert rec.stimulus == "Café"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"units": "inches"}, "units"),
        ({"units": "normalized"}, "units"),
        ({"origin": "bottom-left"}, "origin"),
        ({"delimiter": "|"}, "delimiter"),
        ({"decimal": ";"}, "decimal"),
        ({"time_unit": "min"}, "time_unit"),
        ({"width": -3, "height": 10}, "width"),
        ({"encoding": "klingon"}, "encoding"),
        ({"columns": {"colour": "c"}}, "columns"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, options: dict[str, object], field: str) -> None:
    path = write(tmp_path, "t,x,y\n0,1,2\n")
    with pytest.raises(InvalidInputError) as info:
        read_generic(path, **options)
    assert info.value.field == field


# --- JSON ----------------------------------------------------------------------------------


def test_json_rows_and_columns_read_the_same(tmp_path: Path) -> None:
    rows = [{"t": 0, "x": 1.5, "y": 2}, {"t": 4, "x": None, "y": 3, "note": "n"}]
    cols = {"t": [0, 4], "x": [1.5, None], "y": [2, 3], "note": [None, "n"]}
    a = read(write(tmp_path, json.dumps(rows), "rows.json"))[0]
    b = read(write(tmp_path, json.dumps(cols), "cols.json"))[0]
    for rec in (a, b):
        np.testing.assert_array_equal(rec.x, [1.5, np.nan])
        np.testing.assert_array_equal(rec.valid, [True, False])
        np.testing.assert_array_equal(rec.extra["note"], [None, "n"])


def test_json_errors_name_the_place(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as info:
        read(write(tmp_path, '[{"t": 0, "x": 1, "y": 2},\n {"t": 1, "x": }]', "bad.json"))
    assert (info.value.line, info.value.column) == (2, 16)
    with pytest.raises(FormatError, match="record 2: expected a number") as info:
        read(write(tmp_path, '{"t": [0, 1], "x": [1, "left"], "y": [2, 3]}', "bad.json"))
    assert info.value.column == "x"
    with pytest.raises(FormatError, match="differ in length"):
        read(write(tmp_path, '{"t": [0, 1], "x": [1], "y": [2, 3]}', "bad.json"))
    with pytest.raises(FormatError, match="list of row objects or an object of column"):
        read(write(tmp_path, "42", "bad.json"), format="generic")


def test_seqit_fixations_via_record_path(real_data: Path) -> None:
    path = real_data / "seqit-atuav-bar-chart" / "fixation_datasets.json"
    recs = read(
        path,
        record_path="fixpoints",
        columns={"t": "timestamp", "participant": "user", "stimulus": "task"},
    )
    assert len(recs) == 61
    assert sum(len(r) for r in recs) == 2363
    assert all(r.kind == "fixations" and r.stimulus == "Event_1" for r in recs)
    first, last = recs[0], recs[-1]
    assert first.participant == "101"
    assert last.participant == "162b"
    # first fixpoint of user 101: {"y": 857, "x": 623, "duration": 100, "timestamp": 48311}
    assert (first.t0, first.x[0], first.y[0], first.duration[0]) == (48311, 623, 857, 100)
    assert first.t[1] == 48411 - 48311
    assert (last.x[-1], last.y[-1], last.duration[-1]) == (736, 805, 266)
    assert last.t0 + last.t[-1] == 783432
    xs = np.concatenate([r.x for r in recs])
    ys = np.concatenate([r.y for r in recs])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (-103, 1469, 276, 1068)


# --- round trips -----------------------------------------------------------------------------


def _expected_groups(frame: Frame) -> list[tuple[str | None, str | None]]:
    keys: list[tuple[str | None, str | None]] = []
    for i in range(len(frame.t)):
        key = (
            frame.participant[i] if frame.participant else None,
            frame.stimulus[i] if frame.stimulus else None,
        )
        if key not in keys:
            keys.append(key)
    return keys


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=frames(), layout_seed=layouts(6))
def test_round_trip_any_layout(
    tmp_path_factory: pytest.TempPathFactory, data: Frame, layout_seed: Layout
) -> None:
    ncols = len(data.columns())
    order = [i for i in layout_seed.order if i < ncols]
    layout = Layout(layout_seed.kind, layout_seed.delimiter, layout_seed.decimal, order)
    folder = tmp_path_factory.mktemp("frame")
    path = write_frame(data, layout, folder)
    options = {"decimal": layout.decimal} if layout.kind == "csv" else {}
    recs = read(path, **options)
    keys = _expected_groups(data)
    assert [(r.participant, r.stimulus) for r in recs] == keys
    for rec, key in zip(recs, keys, strict=True):
        rows = [
            i
            for i in range(len(data.t))
            if (
                data.participant[i] if data.participant else None,
                data.stimulus[i] if data.stimulus else None,
            )
            == key
        ]
        t = np.array([data.t[i] for i in rows])
        x = np.array([np.nan if data.x[i] is None else data.x[i] for i in rows], dtype=float)
        assert rec.kind == ("fixations" if data.duration else "samples")
        assert rec.t0 == t[0]
        np.testing.assert_allclose(rec.t, t - t[0], rtol=0, atol=1e-6)
        np.testing.assert_array_equal(rec.x, x)
        np.testing.assert_array_equal(rec.y, [data.y[i] for i in rows])
        np.testing.assert_array_equal(rec.valid, ~np.isnan(x))
        if data.duration:
            np.testing.assert_array_equal(rec.duration, [data.duration[i] for i in rows])


# --- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("t,x,y\n0,1,2\n1,2\n", 3, "y", "expected 3 comma-separated fields"),
        ("t,x,y\n0,1,2\n1,2,3,4\n", 3, 4, "expected 3 comma-separated fields"),
        ("t,x,y\n0,1,2\n1,abc,3\n", 3, "x", "expected a number"),
        ("t;x;y\n0;1,5;2\n", 2, "x", "pass decimal=','"),
        ("t,x,y\n0,1,2\n,1,2\n", 3, "t", "expected a time on every row"),
        ("t,x,y\n0,1,2\n1\t2\t3\n", 3, "x", "expected 3 comma-separated fields"),
    ],
)
def test_malformed_rows_name_line_and_column(
    tmp_path: Path, text: str, line: int, column: str | int, message: str
) -> None:
    with pytest.raises(FormatError, match=message) as info:
        read(write(tmp_path, text))
    assert (info.value.line, info.value.column) == (line, column)
    assert str(tmp_path / "gaze.csv") in str(info.value)


def test_error_deep_in_a_big_file_names_its_line(tmp_path: Path) -> None:
    rows = [f"{i},{i % 1920}.5,{i % 1080}" for i in range(300_000)]
    rows[250_000] = "250000,12.5,oops"
    path = write(tmp_path, "t,x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(FormatError) as info:
        read(path)
    assert (info.value.line, info.value.column) == (250_002, "y")


def test_wrong_delimiter_option_lists_the_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path, "t;x;y\n0;1;2\n")
    with pytest.raises(FormatError, match=r"found columns: \['t;x;y'\]") as info:
        read(path, delimiter=",")
    assert info.value.line == 1


def test_missing_column_lists_the_columns_found(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"missing required column\(s\) \['y'\]"):
        read(write(tmp_path, "t,x,pupil\n0,1,2\n"), format="generic")


def test_invalid_utf8_names_line_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "gaze.csv"
    path.write_bytes(b"t,x,y,stimulus\n0,1,2,a\n1,1,2,caf\xe9\n")
    with pytest.raises(
        FormatError, match=r"byte 0xe9 at byte offset 32 is not valid utf-8;"
    ) as info:
        read(path)
    assert info.value.line == 3


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    path = tmp_path / "gaze.csv"
    path.write_bytes(b"t,x,y\n" + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(FormatError) as info:
        read(path, format="generic")
    assert info.value.line is not None


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file is empty"):
        read(write(tmp_path, ""), format="generic")


def test_header_only_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no data rows") as info:
        read(write(tmp_path, "t,x,y\n"))
    assert info.value.line == 2


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.one_of(st.integers(-1000, 1000), st.sampled_from(["low", "high", "x y"])),
        min_size=1,
        max_size=12,
    ),
    constant=st.booleans(),
)
def test_attribute_rule_constant_or_per_sample(
    tmp_path_factory: pytest.TempPathFactory, values: list[object], constant: bool
) -> None:
    if constant:
        values = [values[0]] * len(values)
    rows = [f"{i},1,2,{v}" for i, v in enumerate(values)]
    path = tmp_path_factory.mktemp("attr") / "gaze.csv"
    path.write_text("t,x,y,score\n" + "\n".join(rows) + "\n")
    [rec] = read(path)
    numeric = all(isinstance(v, int) for v in values)
    if len(set(map(str, values))) == 1:
        assert rec.attributes["score"] == values[0]
        assert "score" not in rec.extra
    else:
        assert "score" not in rec.attributes
        expected = [float(str(v)) if numeric else str(v) for v in values]
        assert rec.extra["score"].tolist() == expected


def test_nested_json_without_record_path_suggests_it(real_data: Path) -> None:
    path = real_data / "seqit-atuav-bar-chart" / "fixation_datasets.json"
    with pytest.raises(FormatError, match="pass record_path='fixpoints'"):
        read(path)


def test_truncated_gzip_is_a_format_error(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 1000}.5,{i % 700}\n" for i in range(200_000))
    data = gzip.compress(("t,x,y\n" + rows).encode())
    path = tmp_path / "gaze.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read(path)
