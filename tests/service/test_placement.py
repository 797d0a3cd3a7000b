"""Placement specs for ingest: names, mappings and the automatic choice."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording, ScreenGeometry, StimulusPlacement
from gazemap.service.placement import place, resolve_placement

SCREEN = ScreenGeometry(1680, 1050)


def rec(**attributes: object) -> Recording:
    return Recording(
        "fixations",
        [0.0, 300.0, 600.0],
        [440.0, 100.0, 1000.0],
        [500.0, 500.0, 10.0],
        [True, True, True],
        duration=[250.0, 200.0, 100.0],
        attributes=dict(attributes),
    )


def test_named_placements() -> None:
    centred = resolve_placement("centred", rec(), width=811, height=1050, screen=SCREEN)
    assert centred is not None
    assert (centred.offset_x, centred.offset_y, centred.scale) == (434.5, 0.0, 1.0)
    full = resolve_placement("full_screen", rec(), width=840, height=2000, screen=SCREEN)
    assert full is not None
    assert (full.offset_x, full.scale) == (0.0, 2.0)
    assert resolve_placement("identity", rec(media_x=1), width=8, height=8, screen=SCREEN) is None
    given = StimulusPlacement(1.0, 2.0, 1.0, 8.0, 8.0)
    assert resolve_placement(given, rec(), width=8, height=8, screen=None) is given


@pytest.mark.parametrize("spec", ["centred", "full_screen"])
def test_placements_that_need_a_screen(spec: str) -> None:
    with pytest.raises(InvalidInputError, match="screen size") as err:
        resolve_placement(spec, rec(), width=8, height=8, screen=None)  # type: ignore[arg-type]
    assert err.value.field == "placement"


def test_auto_uses_the_files_media_position() -> None:
    media = rec(media_x=434.5, media_y=0, media_width=811, media_height=1050)
    found = resolve_placement(None, media, width=811, height=1050, screen=SCREEN)
    assert found is not None
    assert (found.offset_x, found.scale) == (434.5, 1.0)
    # incomplete media columns: coordinates kept
    assert resolve_placement("auto", rec(media_x=3), width=8, height=8, screen=SCREEN) is None
    with pytest.raises(InvalidInputError):
        resolve_placement("media", rec(media_x=3), width=8, height=8, screen=SCREEN)


def test_place_maps_and_counts_what_falls_outside() -> None:
    out = place(rec(), "centred", width=811, height=1050, screen=SCREEN)
    np.testing.assert_allclose(out.x, [5.5, 1000.0 - 434.5])
    assert out.report.dropped["outside_stimulus"] == 1


def test_place_without_a_placement_notes_a_size_mismatch() -> None:
    same = place(rec(), None, width=1680, height=1050, screen=SCREEN)
    assert same.report.notes == []
    given = rec()
    other = place(given, None, width=811, height=1050, screen=SCREEN)
    assert given.report.notes == []  # the input is not changed
    assert len(other) == 3
    assert any("differs from the stimulus 811x1050" in n for n in other.report.notes)
