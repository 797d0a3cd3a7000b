"""Hypothesis strategies of the cache tests: request documents and their equivalent spellings."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)

documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(names, inner, max_size=4),
    ),
    max_leaves=12,
)
"""JSON-like data without None (None in a mapping means 'absent')."""

params = st.dictionaries(names, documents, max_size=6)


@st.composite
def respelled(draw: st.DrawFn, value: Any) -> Any:
    """``value`` written differently but meaning the same.

    Keys in another order, integers as floats, lists as tuples, extra keys set to None.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value) if draw(st.booleans()) else value
    if isinstance(value, list):
        items = [draw(respelled(v)) for v in value]
        return tuple(items) if draw(st.booleans()) else items
    if isinstance(value, dict):
        items = [(k, draw(respelled(v))) for k, v in value.items()]
        items = draw(st.permutations(items))
        extra = draw(st.lists(names.filter(lambda n: n not in value), max_size=2))
        return dict(items + [(n, None) for n in extra])
    return value
