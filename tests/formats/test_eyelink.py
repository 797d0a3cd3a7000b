"""EyeLink ASC reader against the SR Research test matrix and the pymovements fixtures."""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import read
from gazemap.formats.eyelink import label_movements, read_eyelink
from tests.formats.strategies import AscSamples, asc_samples, write_asc

MATRIX = "eyelinker-sr-asc-matrix"
FIXTURES = "pymovements-eyelink-asc-fixtures"

# samples / EFIX events of the recorded (first) eye / rate / eyes, from SOURCE.txt and grep
CASES = [
    ("mono250", 914, 9, 250, "L"),
    ("mono500", 1834, 12, 500, "L"),
    ("mono1000", 3619, 10, 1000, "R"),
    ("mono2000", 8976, 13, 2000, "R"),
    ("bino250", 910, 9, 250, "LR"),
    ("bino500", 1745, 10, 500, "LR"),
    ("bino1000", 3467, 12, 1000, "LR"),
    ("monoRemote250", 5129, 4, 250, "L"),
    ("monoRemote500", 41582, 300, 500, "L"),
    ("binoRemote250", 5125, 4, 250, "LR"),
]


@pytest.mark.parametrize(("name", "samples", "fixations", "rate", "eyes"), CASES)
def test_matrix_counts_rates_and_screen(
    real_data: Path, name: str, samples: int, fixations: int, rate: int, eyes: str
) -> None:
    path = real_data / MATRIX / f"{name}.asc.gz"
    recs = read(path)
    assert [r.attributes["trial"] for r in recs] == ["0", "1", "2", "3"]
    assert sum(len(r) for r in recs) == samples
    assert all(r.sampling_rate == rate for r in recs)
    assert all(
        r.screen is not None and (r.screen.width_px, r.screen.height_px) == (1024, 768)
        for r in recs
    )
    assert all(r.device == "EYELINK II CL v5.03 Jul  3 2014" for r in recs)
    fix = read(path, events="fixations")
    assert sum(len(r) for r in fix) == fixations
    assert all(r.kind == "fixations" for r in fix)


def test_mono250_first_last_values_and_events(real_data: Path) -> None:
    recs = read(real_data / MATRIX / "mono250.asc.gz")
    first = recs[0]
    # "5885949   510.1   383.0  1037.0 ..." right after START 5885949
    assert (first.t0, first.x[0], first.y[0]) == (5885949, 510.1, 383.0)
    np.testing.assert_array_equal(first.t[:3], [0, 4, 8])
    last = recs[-1]
    assert (last.t0 + last.t[-1], last.x[-1], last.y[-1]) == (5896117, 788.4, 378.1)
    # EFIX L 5885949 5886721 776; ESACC L 5886725 5886773
    movement = first.extra["movement"]
    assert movement[0] == "fixation"
    at = int(np.searchsorted(first.t, 5886725 - 5885949))
    assert movement[at] == "saccade"
    assert movement[at - 1] == "fixation"
    fix = read(real_data / MATRIX / "mono250.asc.gz", events="fixations")[0]
    assert fix.t0 == 5885949
    assert (fix.t[0], fix.duration[0], fix.x[0], fix.y[0]) == (0, 776, 508.7, 383.4)


def test_binocular_average_and_single_eyes(real_data: Path) -> None:
    path = real_data / MATRIX / "bino500.asc.gz"
    # "6185399  504.5  367.1  922.0  508.0  399.5  913.0 ....."
    avg, left, right = (read(path, eye=e)[0] for e in ("average", "left", "right"))
    assert (avg.x[0], avg.y[0]) == (pytest.approx(506.25), pytest.approx(383.3))
    assert (left.x[0], left.y[0]) == (504.5, 367.1)
    assert (right.x[0], right.y[0]) == (508.0, 399.5)
    assert avg.attributes["eye"] == "average"
    assert right.attributes["eye"] == "right"
    # 10 left-eye and 9 right-eye EFIX events in the file
    assert sum(len(r) for r in read(path, eye="left", events="fixations")) == 10
    assert sum(len(r) for r in read(path, eye="right", events="fixations")) == 9


def test_asking_for_an_eye_not_recorded_is_an_error(real_data: Path) -> None:
    with pytest.raises(FormatError, match="recorded only LEFT") as info:
        read(real_data / MATRIX / "mono250.asc.gz", eye="right")
    assert info.value.line is not None


def test_missing_samples_are_invalid_and_blinks_labelled(real_data: Path) -> None:
    recs = read(real_data / MATRIX / "monoRemote500.asc.gz")
    everything = np.concatenate([r.valid for r in recs])
    assert int((~everything).sum()) == 51  # sample lines with "." for x
    movement = Counter(m for r in recs for m in r.extra["movement"])
    assert movement["blink"] > 0
    assert movement["fixation"] > movement["saccade"]


def test_blocks_split_when_no_trial_messages(real_data: Path) -> None:
    recs = read(real_data / MATRIX / "mono250.asc.gz", trial_start=r"NO_SUCH_MESSAGE")
    assert [r.attributes["block"] for r in recs] == ["0", "1", "2", "3"]
    assert sum(len(r) for r in recs) == 914


def test_custom_trial_and_stimulus_patterns(real_data: Path) -> None:
    recs = read(
        real_data / MATRIX / "mono250.asc.gz",
        trial_start=r"TRIALID (\d+)",
        stimulus_from=r"TRIAL_VAR direction (\w+)",
    )
    assert [r.attributes["trial"] for r in recs] == ["0", "1", "2", "3"]
    assert recs[0].stimulus is not None


def test_plain_and_gzip_read_the_same(real_data: Path, tmp_path: Path) -> None:
    plain = tmp_path / "mono500.asc"
    with gzip.open(real_data / MATRIX / "mono500.asc.gz", "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    a, b = read(plain), read(real_data / MATRIX / "mono500.asc.gz")
    assert len(a) == len(b)
    for ra, rb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ra.x, rb.x)
        np.testing.assert_array_equal(ra.t, rb.t)


def test_pymovements_no_dummy_stimulus_blinks_and_screen(real_data: Path) -> None:
    [rec] = read(real_data / FIXTURES / "eyelink_monocular_no_dummy_example.asc")
    assert rec.attributes["trial"] == "TEXT"
    assert rec.stimulus == "Images/text.png"  # MSG !V IMGLOAD FILL Images/text.png
    assert rec.device == "EyeLink 1000 Plus"
    assert rec.screen is not None
    assert (rec.screen.width_px, rec.screen.height_px) == (1920, 1080)
    assert len(rec) == 297
    assert rec.sampling_rate == 500
    # "643197   .   .   0.0 ..." inside EBLINK L 643199…: missing, then blink
    assert np.isnan(rec.x[0])
    assert not rec.valid[0]
    assert rec.extra["movement"][1] == "blink"
    assert (rec.t0 + rec.t[-1], rec.x[-1], rec.y[-1]) == (651287, 120.3, 551.3)


def test_pymovements_binocular_trial_message_inside_a_block(real_data: Path) -> None:
    recs = read(real_data / FIXTURES / "eyelink_binocular_example.asc")
    # TRIALID I902C_low comes after START: earlier samples form their own recording
    assert [r.attributes["trial"] for r in recs] == [None, "I902C_low"]
    assert sum(len(r) for r in recs) == 368
    assert recs[0].device == "EyeLink Portable Duo"
    assert all(r.sampling_rate == 1000 for r in recs)
    assert recs[0].screen is not None
    assert recs[0].screen.width_px == 1920
    # 1408660  964.3  541.5  288.0  960.5  538.8  305.0
    assert (recs[0].x[0], recs[0].y[0]) == (pytest.approx(962.4), pytest.approx(540.15))


@pytest.mark.parametrize(
    ("name", "t0", "second"),
    [
        ("eyelink_monocular_example.asc", 2154556.0, 1.0),
        ("eyelink_monocular_2khz_example.asc", 2154556.5, 0.5),
    ],
)
def test_pymovements_monocular_trials(real_data: Path, name: str, t0: float, second: float) -> None:
    recs = read(real_data / FIXTURES / name)
    # TRIALID 0 before START, then TRIALID 1…4 between the sample lines
    assert [r.attributes["trial"] for r in recs] == ["0", "1", "2", "3", "4"]
    assert [len(r) for r in recs] == [3, 4, 2, 4, 3]
    assert recs[0].screen is not None
    assert recs[0].screen.width_px == 1280
    assert (recs[0].t0, recs[0].x[0], recs[0].t[1]) == (t0, 138.1, second)
    assert recs[3].t0 == 2339227


def test_label_movements_blink_wins_over_saccade() -> None:
    t = np.arange(10.0)
    labels = label_movements(t, [("ESACC", 2, 8), ("EBLINK", 4, 5), ("EFIX", 0, 1)])
    assert labels.tolist() == [
        "fixation", "fixation", "saccade", "saccade", "blink", "blink",
        "saccade", "saccade", "saccade", "unclassified",
    ]  # fmt: skip


def _asc(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.asc"
    path.write_text("** CONVERTED FROM x.edf\nSTART\t100 \tLEFT\tSAMPLES\tEVENTS\n" + body)
    return path


def test_malformed_sample_names_line_and_field(tmp_path: Path) -> None:
    path = _asc(tmp_path, "100\t  1.0\t  2.0\t 3.0\t...\n104\t  1.0\t  x2\t 3.0\t...\n")
    with pytest.raises(FormatError, match=r"expected a number or '\.', found 'x2'") as info:
        read(path)
    assert (info.value.line, info.value.column) == (4, 3)


def test_truncated_sample_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="sample fields") as info:
        read(_asc(tmp_path, "100\t  1.0\n"))
    assert info.value.line == 3


def test_no_samples_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no sample lines"):
        read(_asc(tmp_path, "END\t200\n"))


def test_bad_options(real_data: Path) -> None:
    path = real_data / MATRIX / "mono250.asc.gz"
    with pytest.raises(InvalidInputError, match="eye must be one of"):
        read_eyelink(path, eye="both")
    with pytest.raises(InvalidInputError, match="events must be"):
        read_eyelink(path, events="saccades")
    with pytest.raises(InvalidInputError, match="unknown option"):
        read_eyelink(path, delimiter=",")


def test_display_coords_win_over_gaze_coords(tmp_path: Path) -> None:
    body = (
        "MSG\t90 DISPLAY_COORDS 0 0 1279 1023\n"
        "MSG\t95 GAZE_COORDS 0.00 0.00 1919.00 1079.00\n"
        "100\t  1.0\t  2.0\t 3.0\t...\n"
    )
    [rec] = read(_asc(tmp_path, body))
    assert rec.screen is not None
    assert (rec.screen.width_px, rec.screen.height_px) == (1280, 1024)


def test_rate_from_reccfg_without_a_samples_line(tmp_path: Path) -> None:
    body = (
        "MSG\t90 RECCFG CR 500 2 1 L\n100\t  1.0\t  2.0\t 3.0\t...\n102\t  1.0\t  2.0\t 3.0\t...\n"
    )
    [rec] = read(_asc(tmp_path, body))
    assert rec.sampling_rate == 500


def test_bad_regular_expression_is_named(real_data: Path) -> None:
    with pytest.raises(InvalidInputError, match="trial_start must be a regular expression"):
        read(real_data / MATRIX / "mono250.asc.gz", trial_start="TRIAL(")


def test_href_samples_are_refused(tmp_path: Path) -> None:
    body = "SAMPLES\tHREF\tLEFT\tRATE\t 500.00\n100\t  1.0\t  2.0\t 3.0\t...\n"
    with pytest.raises(FormatError, match="expected GAZE samples") as info:
        read(_asc(tmp_path, body))
    assert info.value.line == 3


def _expected(samples: AscSamples, eye: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for i in range(len(samples.t)):
        found = [
            side[i]
            for name, side in (("left", samples.left), ("right", samples.right))
            if side and side[i] is not None and eye in ("average", name)
        ]
        xs.append(sum(p[0] for p in found) / len(found) if found else np.nan)
        ys.append(sum(p[1] for p in found) / len(found) if found else np.nan)
    return xs, ys


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(samples=asc_samples())
def test_sample_lines_round_trip(
    tmp_path_factory: pytest.TempPathFactory, samples: AscSamples
) -> None:
    path = write_asc(samples, tmp_path_factory.mktemp("asc"))
    eyes = ["average"] + [e for e, c in (("left", "L"), ("right", "R")) if c in samples.eyes]
    for eye in eyes:
        [rec] = read(path, eye=eye)
        xs, ys = _expected(samples, eye)
        assert rec.t0 == samples.t[0]
        np.testing.assert_array_equal(rec.t, np.array(samples.t) - samples.t[0])
        np.testing.assert_allclose(rec.x, xs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(rec.y, ys, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(rec.valid, ~np.isnan(np.array(xs)))
        assert rec.attributes["block"] == "0"
        assert rec.screen is not None
        assert rec.screen.width_px == 1920


def test_truncated_gzip_names_the_line_reached(real_data: Path, tmp_path: Path) -> None:
    data = (real_data / MATRIX / "monoRemote500.asc.gz").read_bytes()
    path = tmp_path / "cut.asc.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt") as info:
        read(path)
    assert info.value.line is not None
    assert info.value.line > 1000
