"""Slice queries select the same rows on SQLite and PostgreSQL, for every filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from gazemap.store.models import Stimulus
from gazemap.store.queries import bump_data_versions, count_participants, select_recordings
from gazemap.store.slices import Slice
from tests.store.factories import make_participant, make_recording, make_stimulus, make_study

PEOPLE: dict[str, dict[str, Any]] = {
    "p1": {"gender": "f", "age": 25, "attributes": {"site": "A", "glasses": True, "level": 3}},
    "p2": {"gender": "m", "age": 31, "attributes": {"site": "B", "glasses": False, "level": 5.0}},
    "p3": {"gender": "f", "age": 40, "attributes": {"site": "A", "level": "3"}},
    "p4": {"gender": "d", "age": None, "attributes": {}},
    "p5": {
        "gender": None,
        "age": 19,
        "attributes": {"site": "C", "glasses": True, "nested": {"x": 1}},
    },
    "p6": {
        "gender": "m",
        "age": 55,
        "attributes": {"site": "B", "level": 4, "note": 'it\'s "quoted"'},
    },
}


def _at(month: int, day: int, hour: int = 0, second: int = 0) -> datetime:
    return datetime(2024, month, day, hour, 0, second, tzinfo=UTC)


# label: (participant, device, started_at); all on the stimulus under test
RECORDINGS: dict[str, tuple[str, str | None, datetime | None]] = {
    "r1": ("p1", "EyeLink", _at(1, 10)),
    "r2": ("p1", "Tobii", _at(2, 10)),
    "r3": ("p2", "EyeLink", _at(3, 1)),
    "r4": ("p3", "webcam", None),
    "r5": ("p4", "Tobii", datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)),
    "r6": ("p5", "EyeLink", _at(2, 1)),
    "r7": ("p6", None, _at(5, 5)),
}


@dataclass
class Population:
    stimulus_id: int
    participants: dict[str, int]
    recordings: dict[int, str]  # id -> label


@pytest.fixture
def population(session: Session) -> Population:
    study = make_study(session)
    stimulus, other = make_stimulus(session, study), make_stimulus(session, study)
    people = {label: make_participant(session, study, **f) for label, f in PEOPLE.items()}
    labels = {}
    for label, (who, device, started) in RECORDINGS.items():
        rec = make_recording(session, people[who], stimulus, device=device, started_at=started)
        labels[rec.id] = label
        # the same people on another stimulus must never leak in
        make_recording(session, people[who], other, device=device, started_at=started)
    session.commit()
    return Population(stimulus.id, {k: p.id for k, p in people.items()}, labels)


CASES: list[tuple[Slice, set[str]]] = [
    (Slice(), set(RECORDINGS)),
    (Slice(gender=["f"]), {"r1", "r2", "r4"}),
    (Slice(gender=["f", "d"]), {"r1", "r2", "r4", "r5"}),
    (Slice(age_min=30), {"r3", "r4", "r7"}),
    (Slice(age_max=25), {"r1", "r2", "r6"}),
    (Slice(age_min=25, age_max=31), {"r1", "r2", "r3"}),
    (Slice(device=["EyeLink"]), {"r1", "r3", "r6"}),
    (Slice(device=["Tobii", "webcam"]), {"r2", "r4", "r5"}),
    (Slice(recorded_from=_at(2, 1)), {"r2", "r3", "r6", "r7"}),  # from is inclusive
    (Slice(recorded_to=_at(2, 1)), {"r1", "r5"}),  # to is exclusive
    (Slice(recorded_from=_at(1, 15), recorded_to=_at(3, 1)), {"r2", "r5", "r6"}),
    (Slice(recorded_to=datetime(2024, 2, 1, 2, tzinfo=timezone(timedelta(hours=2)))), {"r1", "r5"}),
    (Slice(attributes={"site": ["A"]}), {"r1", "r2", "r4"}),
    (Slice(attributes={"site": ["A", "C"]}), {"r1", "r2", "r4", "r6"}),
    (Slice(attributes={"glasses": [True]}), {"r1", "r2", "r6"}),
    (Slice(attributes={"glasses": [False]}), {"r3"}),
    (Slice(attributes={"glasses": [1]}), set()),  # the number 1 is not true
    (Slice(attributes={"level": [3]}), {"r1", "r2"}),  # not the string "3"
    (Slice(attributes={"level": ["3"]}), {"r4"}),
    (Slice(attributes={"level": [5]}), {"r3"}),  # 5 == 5.0
    (Slice(attributes={"level": [3, 4.0]}), {"r1", "r2", "r7"}),
    (Slice(attributes={"level": [4, "3"]}), {"r4", "r7"}),
    (Slice(attributes={"site": ["A"], "glasses": [True]}), {"r1", "r2"}),
    (Slice(attributes={"handedness": ["left"]}), set()),
    (Slice(attributes={"nested": ["x"]}), set()),  # objects never equal scalars
    (Slice(attributes={"note": ['it\'s "quoted"']}), {"r7"}),
    (Slice(gender=["m"], device=["EyeLink"]), {"r3"}),
    (Slice(gender=["f"], age_min=30, recorded_from=_at(1, 1)), set()),  # r4 has no date
]


@pytest.mark.parametrize(("slice_", "expected"), CASES, ids=[str(c[0].canonical()) for c in CASES])
def test_every_filter_selects_the_expected_recordings(
    session: Session, population: Population, slice_: Slice, expected: set[str]
) -> None:
    rows = select_recordings(session, stimulus_id=population.stimulus_id, slice=slice_)
    assert {population.recordings.get(r.id, "other") for r in rows} == expected
    assert len(rows) == len(expected)
    people = {RECORDINGS[label][0] for label in expected}
    count = count_participants(session, stimulus_id=population.stimulus_id, slice=slice_)
    assert count == len(people)


def test_participant_ids_restrict_to_those_people(session: Session, population: Population) -> None:
    ids = [population.participants["p2"], population.participants["p6"]]
    chosen = Slice(participant_ids=ids)
    rows = select_recordings(session, stimulus_id=population.stimulus_id, slice=chosen)
    assert [population.recordings[r.id] for r in rows] == ["r3", "r7"]
    assert count_participants(session, stimulus_id=population.stimulus_id, slice=chosen) == 2


def test_results_are_ordered_by_participant_then_time(
    session: Session, population: Population
) -> None:
    rows = select_recordings(session, stimulus_id=population.stimulus_id, slice=Slice())
    assert [population.recordings[r.id] for r in rows] == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]


def test_an_unknown_stimulus_has_no_recordings(session: Session, population: Population) -> None:
    assert select_recordings(session, stimulus_id=10**9, slice=Slice()) == []
    assert count_participants(session, stimulus_id=10**9, slice=Slice()) == 0


def test_data_versions_go_up_by_one_per_bump(session: Session, population: Population) -> None:
    other = make_stimulus(session, make_study(session))
    bump_data_versions(session, [population.stimulus_id, population.stimulus_id])
    bump_data_versions(session, [population.stimulus_id])
    bump_data_versions(session, [])
    session.commit()
    session.expunge_all()
    assert session.get_one(Stimulus, population.stimulus_id).data_version == 2
    assert session.get_one(Stimulus, other.id).data_version == 0
