"""The bundled OSIE demo set: complete, consistent, licensed, small, and reproducible."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from gazemap.demo import demo_data_dir, demo_stimuli

REPO = Path(__file__).resolve().parents[2]


def test_there_are_a_few_stimuli_with_their_files() -> None:
    stimuli = demo_stimuli()
    assert 3 <= len(stimuli) <= 6
    assert len({s.name for s in stimuli}) == len(stimuli)
    for s in stimuli:
        assert s.image_path.is_file()
        assert s.fixations_csv_path.is_file()
        with Image.open(s.image_path) as img:
            assert img.size == (s.width, s.height)
            assert img.format == "JPEG"


def test_csv_is_the_documented_generic_format() -> None:
    for s in demo_stimuli():
        with s.fixations_csv_path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == ["t", "x", "y", "duration", "participant", "stimulus"]
        assert len(rows) == s.n_fixations
        assert len({r["participant"] for r in rows}) == s.n_participants == 15
        assert {r["stimulus"] for r in rows} == {s.name}
        x = np.array([float(r["x"]) for r in rows])
        y = np.array([float(r["y"]) for r in rows])
        duration = np.array([float(r["duration"]) for r in rows])
        assert ((x >= 0) & (x < s.width)).all()
        assert ((y >= 0) & (y < s.height)).all()
        assert (duration > 0).all()
        for who in {r["participant"] for r in rows}:
            mine = [r for r in rows if r["participant"] == who]
            t = np.array([float(r["t"]) for r in mine])
            d = np.array([float(r["duration"]) for r in mine])
            assert t[0] == 0.0
            # t is the running sum of earlier fixation durations (OSIE has no timestamps)
            np.testing.assert_allclose(t[1:], np.cumsum(d)[:-1])


def test_osie_licence_ships_beside_the_files_and_the_set_is_small() -> None:
    root = demo_data_dir()
    notice = (root / "NOTICE-OSIE.txt").read_text(encoding="utf-8")
    assert "Copyright (c) 2014 NUS VIP - Visual Information Processing Lab" in notice
    assert "Permission is hereby granted, free of charge" in notice
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert total < 5 * 2**20


def test_script_regenerates_the_bundled_files_exactly(real_data: Path, tmp_path: Path) -> None:
    source = real_data / "osie-natural-images"
    names = [s.name.removeprefix("osie-") for s in demo_stimuli()]
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_demo_data.py"),
            "--source",
            str(source),
            "--out",
            str(tmp_path),
            "--images",
            *names,
        ],
        check=True,
        capture_output=True,
    )
    bundled = sorted(p.name for p in demo_data_dir().iterdir() if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == bundled
    for name in bundled:
        assert (tmp_path / name).read_bytes() == (demo_data_dir() / name).read_bytes(), name
