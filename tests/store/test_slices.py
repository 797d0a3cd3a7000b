"""The Slice value type: validation naming the field, canonical form, equality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.store.slices import Slice

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"age_min": 40, "age_max": 30}, "age_min", "age_min must be <= age_max, got 40 > 30"),
        ({"age_min": -1}, "age_min", "age_min must be an integer in 0..150, got -1"),
        ({"age_max": 30.5}, "age_max", "got 30.5"),
        ({"age_max": True}, "age_max", "got True"),
        ({"gender": []}, "gender", "gender must list at least one value"),
        ({"gender": ["f", ""]}, "gender", "non-empty strings, got ''"),
        ({"device": [3]}, "device", "got 3"),
        ({"recorded_from": datetime(2024, 1, 1)}, "recorded_from", "timezone-aware"),
        ({"recorded_to": "2024-01-01"}, "recorded_to", "must be a datetime"),
        ({"recorded_from": T0, "recorded_to": T0}, "recorded_from", "before recorded_to"),
        ({"attributes": {"bad name": ["x"]}}, "attributes", "attribute names must match"),
        ({"attributes": {"site": []}}, "attributes", "at least one value"),
        ({"attributes": {"site": [None]}}, "attributes", "got None"),
        ({"attributes": {"site": [float("nan")]}}, "attributes", "got nan"),
        ({"attributes": ["site"]}, "attributes", "must be a mapping"),
        ({"participant_ids": [0]}, "participant_ids", "positive integers"),
        ({"participant_ids": []}, "participant_ids", "positive integers"),
    ],
)
def test_invalid_slices_name_the_field(fields: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")) as info:
        Slice(**fields)
    assert info.value.field == field


def test_the_canonical_form_ignores_order_duplicates_and_offsets() -> None:
    a = Slice(
        gender=["m", "f", "m"],
        device=("Tobii",),
        recorded_from=datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        attributes={"site": ["b", "a"], "level": [3.0, 1]},
        participant_ids=[5, 2, 5],
    )
    b = Slice(
        gender=("f", "m"),
        device="Tobii",
        recorded_from=T0,
        attributes={"level": [1, 3], "site": ("a", "b")},
        participant_ids=(2, 5),
    )
    assert a == b
    assert hash(a) == hash(b)
    assert a.canonical() == {
        "attributes": {"level": [1, 3], "site": ["a", "b"]},
        "device": ["Tobii"],
        "gender": ["f", "m"],
        "participant_ids": [2, 5],
        "recorded_from": "2024-01-01T00:00:00+00:00",
    }


def test_booleans_and_numbers_stay_distinct() -> None:
    s = Slice(attributes={"flag": [True, 1, "1"]})
    assert s.attributes["flag"] == (1, "1", True)
    assert Slice(attributes={"flag": [True]}) != Slice(attributes={"flag": [1]})


def test_the_empty_slice_matches_everything_and_has_no_demographics() -> None:
    assert Slice().canonical() == {}
    assert Slice(device=["x"]).demographic_filters == ()
    assert Slice(gender=["f"], age_max=3, attributes={"a": ["b"]}).demographic_filters == (
        "gender",
        "age_max",
        "attributes",
    )


def test_unknown_canonical_fields_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown slice fields: \\['colour'\\]"):
        Slice.from_canonical({"colour": ["red"]})
    with pytest.raises(InvalidInputError, match="ISO 8601") as info:
        Slice.from_canonical({"recorded_to": "yesterday"})
    assert info.value.field == "recorded_to"


_values = st.one_of(st.text(min_size=1, max_size=5), st.integers(-5, 5), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))  # fmt: skip


@st.composite
def slices(draw: st.DrawFn) -> Slice:
    ages = sorted(draw(st.lists(st.integers(0, 150), min_size=2, max_size=2)))
    start = draw(st.datetimes(timezones=st.just(UTC)))
    return Slice(
        gender=draw(st.none() | st.lists(st.text(min_size=1, max_size=4), min_size=1)),
        age_min=draw(st.none() | st.just(ages[0])),
        age_max=draw(st.none() | st.just(ages[1])),
        device=draw(st.none() | st.lists(st.text(min_size=1, max_size=4), min_size=1)),
        recorded_from=draw(st.none() | st.just(start)),
        recorded_to=draw(st.none() | st.just(start + timedelta(seconds=1))),
        attributes=draw(
            st.dictionaries(
                st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
                st.lists(_values, min_size=1, max_size=4),
                max_size=3,
            )
        ),
        participant_ids=draw(st.none() | st.lists(st.integers(1, 10**6), min_size=1)),
    )


@given(slices())
def test_canonical_forms_read_back_to_equal_slices(s: Slice) -> None:
    again = Slice.from_canonical(s.canonical())
    assert again == s
    assert again.canonical() == s.canonical()
