"""Cache keys: equal for equal requests however they are spelled, different otherwise."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.cache import CacheKey, canonical, canonical_json, make_key
from gazemap.errors import InvalidInputError
from tests.cache.strategies import documents, params, respelled


def key(params: Any = None, slice: Any = None, **parts: Any) -> str:
    parts.setdefault("stimulus_id", 42)
    parts.setdefault("data_version", 7)
    kind = parts.pop("kind", "density")
    return make_key(kind, params=params or {}, slice=slice or {}, **parts)


def test_order_float_spelling_and_none_do_not_change_the_key() -> None:
    assert key({"a": 1, "b": 2}) == key({"b": 2, "a": 1}) == key({"a": 1.0, "b": 2, "c": None})


@given(params, params, st.data())
def test_equivalent_spellings_give_one_key(
    p: dict[str, Any], s: dict[str, Any], data: st.DataObject
) -> None:
    assert key(p, s) == key(data.draw(respelled(p)), data.draw(respelled(s)))


@given(params, st.sampled_from(["bandwidth", "kernel"]), documents)
def test_changing_a_value_changes_the_key(p: dict[str, Any], name: str, value: Any) -> None:
    other = {**p, name: value}
    if canonical(other) != canonical(p):
        assert key(other) != key(p)
    else:
        assert key(other) == key(p)


def test_each_part_of_the_request_is_in_the_key() -> None:
    base = key({"bandwidth": 40})
    assert key({"bandwidth": 40}, stimulus_id=43) != base
    assert key({"bandwidth": 40}, data_version=8) != base
    assert key({"bandwidth": 40}, kind="image") != base
    assert key({"bandwidth": 40}, {"gender": "f"}) != base
    assert key({"bandwidth": 40}, render={"colormap": "viridis"}) != base
    # the same options under params or under slice are different requests
    assert key({"x": 1}) != key({}, {"x": 1})


def test_no_render_options_and_empty_render_options_agree() -> None:
    assert key(render=None) == key(render={})


def test_key_has_a_readable_prefix_and_a_sha256() -> None:
    text = key({"bandwidth": 40}, stimulus_id="stim-uuid.1", data_version=3, kind="image")
    head, digest = text.rsplit(":", 1)
    assert head == "gazemap:v1:image:stimstim-uuid.1:dv3"
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    parts = CacheKey.build(
        "image", stimulus_id="stim-uuid.1", data_version=3, params={"bandwidth": 40}, slice={}
    )
    assert str(parts) == text
    assert parts.prefix == head


def test_booleans_and_integers_stay_distinct() -> None:
    assert key({"x": True}) != key({"x": 1})
    assert key({"x": 0}) == key({"x": -0.0})


def test_numpy_enum_set_and_date_values_are_canonical() -> None:
    class Kernel(enum.Enum):
        GAUSSIAN = "gaussian"

    assert canonical({"k": Kernel.GAUSSIAN, "b": np.float64(40.0), "n": np.int32(3)}) == {
        "b": 40,
        "k": "gaussian",
        "n": 3,
    }
    assert (
        canonical({"g": {"m", "f"}}) == canonical({"g": frozenset(["f", "m"])}) == {"g": ["f", "m"]}
    )
    berlin = dt.timezone(dt.timedelta(hours=1))
    assert canonical(dt.datetime(2024, 1, 1, 13, tzinfo=berlin)) == canonical(
        dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    )
    assert canonical(dt.date(2024, 2, 29)) == "2024-02-29"


def test_canonical_json_is_compact_sorted_and_keeps_unicode() -> None:
    assert canonical_json({"ü": [1.5, None], "a": 2.0}) == '{"a":2,"ü":[1.5,null]}'


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"b": float("nan")}, "params.b must be finite"),
        ({"b": [1, float("inf")]}, r"params.b\[1\] must be finite"),
        ({"b": {1: 2}}, "params.b keys must be str"),
        ({"b": object()}, "params.b has a type a cache key cannot hold: object"),
    ],
)
def test_values_a_key_cannot_hold_are_refused(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        key(bad)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"kind": "Density"}, "kind must be a short lowercase name"),
        ({"kind": "a:b"}, "kind must be a short lowercase name"),
        ({"stimulus_id": "a:b"}, "stimulus_id must be 1-64 of"),
        ({"stimulus_id": True}, "stimulus_id must be an int or str"),
        ({"data_version": -1}, "data_version must be an int >= 0"),
        ({"data_version": 1.0}, "data_version must be an int >= 0"),
    ],
)
def test_bad_key_parts_are_refused(parts: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        key({}, **parts)


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(InvalidInputError, match="params must be a mapping, got list"):
        make_key("density", stimulus_id=1, data_version=1, params=[1], slice={})  # type: ignore[arg-type]
