"""Gazepoint Analysis CSV: real consent-form exports, screen size, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import detect_format, read
from gazemap.formats.gazepoint import read_gazepoint, read_project, sniff

SCREEN = {"screen_width": 1680, "screen_height": 1050}


@pytest.fixture(scope="module")
def results(real_data: Path) -> Path:
    return real_data / "gazepoint-consent-form-reading" / "result"


def test_fixation_export_gives_one_fixation_recording_per_media(results: Path) -> None:
    recs = read_gazepoint(results / "c0_User 10_fixations.csv", **SCREEN)
    assert [r.stimulus for r in recs] == [
        "page1-instructions",
        "page1",
        "page2",
        "page3",
        "page4-instructions",
        "calibration-verification-instructions",
        "calibration-verification-image",
        "page4-instructions-part2",
        "page4",
    ]
    assert [len(r) for r in recs] == [45, 15, 4, 4, 36, 26, 20, 52, 121]
    assert all(r.kind == "fixations" and r.participant == "c0_User 10" for r in recs)
    first = recs[0]
    # row 2: FPOGX 0.39773 FPOGY 0.17748 FPOGS 0.00000 FPOGD 0.16530 FPOGID 1
    assert (first.x[0], first.y[0]) == pytest.approx((0.39773 * 1680, 0.17748 * 1050))
    assert first.duration is not None
    assert first.duration[0] == pytest.approx(165.30)
    # row 3: FPOGS 0.23216 → 232.16 ms after the first fixation's start
    assert first.t[1] == pytest.approx(232.16)
    # media onset on the TIMETICK clock: 449641228655 / 1e7 s − 0.16530 s
    assert first.t0 == pytest.approx(449641228655 / 1e4 - 165.30)
    last = recs[-1]
    # last row: FPOGX 0.61726 FPOGY 0.45986 FPOGD 0.11407 FPOGID 121
    assert (last.x[-1], last.y[-1]) == pytest.approx((0.61726 * 1680, 0.45986 * 1050))
    assert last.duration is not None
    assert last.duration[-1] == pytest.approx(114.07)
    assert last.extra["fixation_id"][-1] == 121
    assert first.screen is not None
    assert (first.screen.width_px, first.screen.height_px) == (1680, 1050)


def test_all_gaze_export_gives_samples_with_bpog_validity(results: Path) -> None:
    recs = read_gazepoint(results / "c0_User 10_all_gaze.csv", **SCREEN)
    assert all(r.kind == "samples" and r.duration is None for r in recs)
    assert sum(len(r) for r in recs) == 7964
    assert sum(int((~r.valid).sum()) for r in recs) == 367  # rows with BPOGV 0
    first = recs[0]
    # row 2: TIME 0.00000 TIMETICK 449639575698 BPOGX 0.39224 BPOGY 0.16582
    assert first.t0 == pytest.approx(449639575698 / 1e4)
    assert (first.x[0], first.y[0]) == pytest.approx((0.39224 * 1680, 0.16582 * 1050))
    assert first.t[1] == pytest.approx(15.88)
    assert first.sampling_rate == pytest.approx(60, abs=2)
    last = recs[-1]
    assert (last.x[-1], last.y[-1]) == pytest.approx((0.61663 * 1680, 0.45137 * 1050))
    # page4 starts at TIME 0.00000 in its own media clock; last row TIME 61.44072
    assert last.t[-1] == pytest.approx(61440.72, abs=1e-6)


def test_every_fixation_file_reads(results: Path) -> None:
    files = sorted(results.glob("*_fixations.csv"))
    assert len(files) == 20
    total = sum(len(r) for f in files for r in read_gazepoint(f, **SCREEN))
    assert total == 11791


def test_off_screen_values_are_kept(results: Path) -> None:
    recs = read_gazepoint(results / "c0_User 3_all_gaze.csv", **SCREEN)
    x = np.concatenate([r.x for r in recs])
    assert np.nanmin(x) < 0 or np.nanmax(x) > 1680


def test_default_screen_is_noted(results: Path) -> None:
    rec = read_gazepoint(results / "c0_User 10_fixations.csv")[0]
    assert rec.screen is not None
    assert (rec.screen.width_px, rec.screen.height_px) == (1920, 1080)
    assert any("screen size not in the file" in n for n in rec.report.notes)
    assert rec.x[0] == pytest.approx(0.39773 * 1920)


def test_kind_and_screen_options_are_checked(results: Path) -> None:
    path = results / "c0_User 10_fixations.csv"
    with pytest.raises(InvalidInputError, match="kind must be"):
        read_gazepoint(path, kind="events")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="screen_width must be > 0, got 0"):
        read_gazepoint(path, screen_width=0, screen_height=1050)
    samples = read_gazepoint(path, kind="samples", **SCREEN)
    assert samples[0].kind == "samples"


def test_sniff(results: Path) -> None:
    head = (results / "c0_User 1_fixations.csv").read_bytes()[:4096]
    assert sniff(head, Path("x.csv")) > 0.9
    summary = (results / "Data_Summary_export_11-05-19-12.26.34.csv").read_bytes()
    assert sniff(summary, Path("x.csv")) == 0.0


HEADER = (
    "MEDIA_ID,MEDIA_NAME,CNT,TIME(2019/11/18 23:50:04.582),TIMETICK(f=10000000),"
    "FPOGX,FPOGY,FPOGS,FPOGD,FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,USER,\n"
)


def _row(media: str, cnt: int, time: float, fid: int, x: float, y: float, v: int) -> str:
    tick = 449639575698 + int(time * 1e7)
    return f"1,{media},{cnt},{time:.5f},{tick},{x},{y},{time:.5f},0.1,{fid},{v},{x},{y},{v},,\n"


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("", "empty file", 1),
        (HEADER, "expected data rows", 2),
        (HEADER + _row("p", 0, 0.0, 1, 0.5, 0.5, 1)[:30], "expected 16 fields", 2),
        (HEADER.replace(",", ";"), "TIME", 1),
        (
            HEADER + _row("p", 0, 0.0, 1, 0.5, 0.5, 1).replace(",0.5,0.5,1,,", ",half,0.5,1,,"),
            "number",
            2,
        ),
        ("MEDIA_ID,MEDIA_NAME,CNT\n1,a,2\n", "TIME", 1),
        (b"\x00\x01\x02binary\xff", "binary", 1),
    ],
)
def test_malformed_files_raise_format_error_with_location(
    tmp_path: Path, content: str | bytes, message: str, line: int
) -> None:
    path = tmp_path / "u_all_gaze.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(FormatError, match=message) as info:
        read_gazepoint(path, **SCREEN)
    assert info.value.line == line


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["page1", "page2"]),
            st.floats(min_value=-0.5, max_value=1.5).map(lambda v: round(v, 5)),
            st.floats(min_value=-0.5, max_value=1.5).map(lambda v: round(v, 5)),
            st.sampled_from([0, 1]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_generated_samples_round_trip(
    tmp_path: Path, rows: list[tuple[str, float, float, int]]
) -> None:
    body = "".join(_row(m, i, i / 60, 1, x, y, v) for i, (m, x, y, v) in enumerate(rows))
    path = tmp_path / "gen_all_gaze.csv"
    path.write_text(HEADER + body)
    recs = read_gazepoint(path, **SCREEN)
    runs = 1 + sum(rows[i][0] != rows[i - 1][0] for i in range(1, len(rows)))
    assert len(recs) == runs
    x = np.concatenate([r.x for r in recs])
    valid = np.concatenate([r.valid for r in recs])
    np.testing.assert_allclose(x, [r[1] * 1680 for r in rows])
    np.testing.assert_array_equal(valid, [r[3] == 1 for r in rows])


def test_auto_detection_picks_the_gazepoint_reader(results: Path) -> None:
    for path in sorted(results.glob("c*_User *.csv")):
        assert detect_format(path) == "gazepoint"
    recs = read(results / "c1_User 39_all_gaze.csv", **SCREEN)
    assert sum(len(r) for r in recs) == 13318
    assert recs[0].kind == "samples"


def test_project_file_gives_media_paths_and_user_attributes(results: Path, tmp_path: Path) -> None:
    prj = results.parent / "I_Consent.prj"
    media, users = read_project(prj)
    assert media["page4"] == "penn-state-811x1050.jpg"
    assert media["calibration-verification-image"] == "composite-grid-1680x1050.png"
    assert len(media) == 9
    assert users == {
        "User 26": {"gender": "M"},
        "User 27": {"gender": "M"},
        "User 28": {"gender": "M"},
    }
    recs = read_gazepoint(
        results / "c0_User 10_fixations.csv", project=prj, participant="c0_User 27", **SCREEN
    )
    assert recs[-1].attributes == {
        "gender": "M",
        "start_time": "2019-11-18T23:50:04.582",
        "media_path": "penn-state-811x1050.jpg",
    }
    own = read_gazepoint(results / "c0_User 10_fixations.csv", project=prj, **SCREEN)
    assert "gender" not in own[0].attributes  # User 10 is not in the project
    bad = tmp_path / "x.prj"
    bad.write_text("%YAML:1.0\nFileVersion: 2\n")
    with pytest.raises(FormatError, match="Media:"):
        read_project(bad)
