"""``gazemap.formats.read``: registration, auto-detection on the real files, the error paths."""

from __future__ import annotations

import gzip
import importlib
from pathlib import Path

import pytest

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import _READER_MODULES, FORMATS, detect_format, read
from gazemap.formats.base import read_head

REAL_FILES = [
    ("tobii-prolab-dataexport-ivt/I-VT-normal Data export_short.tsv", "tobii_prolab"),
    ("tobii-prolab-dataexport-ivt/I-VT-rightEye Data export_short.tsv", "tobii_prolab"),
    (
        "tobii-prolab-dataexport-ivt/I-VT-StrictAverage_frequency120_movingAverageData export_short.tsv",
        "tobii_prolab",
    ),
    ("tobii-studio-webpage-export/tobiiData.tsv", "tobii_studio"),
    *[
        (f"eyelinker-sr-asc-matrix/{name}.asc.gz", "eyelink_asc")
        for name in (
            "mono250",
            "mono500",
            "mono1000",
            "mono2000",
            "bino250",
            "bino500",
            "bino1000",
            "monoRemote250",
            "monoRemote500",
            "binoRemote250",
            "binoRemote500",
        )
    ],
    *[
        (f"pymovements-eyelink-asc-fixtures/eyelink_{name}.asc", "eyelink_asc")
        for name in ("binocular_example", "monocular_2khz_example", "monocular_example")
    ],
    ("pymovements-eyelink-asc-fixtures/eyelink_monocular_no_dummy_example.asc", "eyelink_asc"),
    ("seqit-atuav-bar-chart/fixation_datasets.json", "generic"),
]


@pytest.mark.parametrize(("name", "expected"), REAL_FILES)
def test_detection_picks_the_right_reader(real_data: Path, name: str, expected: str) -> None:
    path = real_data / name
    assert detect_format(path) == expected
    head = read_head(path)
    scores = sorted((spec.sniff(head, path), n) for n, spec in FORMATS.items())
    assert scores[-1][1] == expected
    assert scores[-1][0] > scores[-2][0], "no other format may claim the file as strongly"


@pytest.mark.parametrize(("name", "expected"), [f for f in REAL_FILES if f[1] != "generic"])
def test_auto_read_equals_named_read(real_data: Path, name: str, expected: str) -> None:
    auto = read(real_data / name)
    named = read(real_data / name, format=expected)
    assert [(r.participant, r.stimulus, len(r)) for r in auto] == [
        (r.participant, r.stimulus, len(r)) for r in named
    ]
    assert all(len(r) > 0 for r in auto)


def test_every_registered_module_exposes_format_specs() -> None:
    names = []
    for module_name in _READER_MODULES:
        module = importlib.import_module(f"gazemap.formats.{module_name}")
        specs = getattr(module, "FORMATS", None) or (module.FORMAT,)
        names.extend(spec.name for spec in specs)
    assert sorted(names) == sorted(FORMATS)
    assert {"generic", "tobii_prolab", "tobii_studio", "eyelink_asc"} <= set(FORMATS)


def test_unknown_format_name_lists_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("t,x,y\n0,1,2\n")
    with pytest.raises(InvalidInputError, match=r"got 'tobi'") as info:
        read(path, format="tobi")
    assert "tobii_prolab" in str(info.value)
    assert info.value.field == "format"


def test_undetectable_file_lists_known_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\neggs\n")
    with pytest.raises(FormatError, match=r"known formats: .*'eyelink_asc'.*'generic'"):
        read(path)


def test_columns_option_makes_auto_read_generic(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Time,GazeX,GazeY\n5,1,2\n")
    [rec] = read(path, columns={"t": "Time", "x": "GazeX", "y": "GazeY"})
    assert (rec.t0, rec.x[0], rec.y[0]) == (5, 1, 2)


def test_detection_sees_through_gzip(tmp_path: Path) -> None:
    path = tmp_path / "gaze.csv.gz"
    path.write_bytes(gzip.compress(b"t,x,y\n0,1,2\n"))
    assert detect_format(path) == "generic"


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FormatError):
        read(empty)
    with pytest.raises(FormatError, match="cannot read file"):
        read(tmp_path / "nope.csv")


@pytest.mark.parametrize("name", sorted({"tobii_prolab", "tobii_studio", "eyelink_asc", "generic"}))
def test_binary_garbage_is_refused_by_every_reader(tmp_path: Path, name: str) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(FormatError, match="binary data") as info:
        read(path, format=name)
    assert info.value.line == 1


def test_options_a_reader_does_not_take_are_named(real_data: Path) -> None:
    path = real_data / "tobii-studio-webpage-export" / "tobiiData.tsv"
    with pytest.raises(InvalidInputError, match=r"unknown option\(s\) \['eye'\]") as info:
        read(path, eye="left")
    assert info.value.field == "eye"
    with pytest.raises(InvalidInputError, match="unknown option"):
        read(path, format="webgazer", columns={"x": "GazePointX"})
