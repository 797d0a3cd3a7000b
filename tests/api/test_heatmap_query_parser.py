"""The heat-map query parser on arbitrary input: an answer or a 422, never anything else."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.api.heatmap_query import (
    HEATMAP_QUERY_OPENAPI,
    HeatmapQuery,
    parse_heatmap_query,
)

NAMES = [p["name"] for p in HEATMAP_QUERY_OPENAPI["parameters"]] + ["attr.group", "unknown"]
VALUES = st.one_of(
    st.text(max_size=12),
    st.integers(-5, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["true", "false", "px", "deg", "fft", "exact", "p99", "2024-01-01T00:00:00Z"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=8))
def test_any_query_is_parsed_or_refused_with_422(pairs: list[tuple[str, str]]) -> None:
    raw = urlencode(pairs)
    try:
        parsed = parse_heatmap_query(raw)
    except RequestValidationError as exc:
        errors = exc.errors()
        assert errors
        assert all(e["loc"][0] == "query" for e in errors)
        return
    assert isinstance(parsed, HeatmapQuery)
    assert parse_heatmap_query(raw) is parsed


def test_the_openapi_parameters_cover_the_contract_names() -> None:
    names = {p["name"] for p in HEATMAP_QUERY_OPENAPI["parameters"]}
    assert {"kernel", "bandwidth", "level", "gender", "recorded_from", "async", "mode"} <= names
    assert all(p["description"] and p["in"] == "query" for p in HEATMAP_QUERY_OPENAPI["parameters"])
